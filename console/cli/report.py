"""`python main.py report [--db URL] --from ISO --to ISO --out FILE [--lang zh_CN|en]`: the shift report.

FILE ending in .html is one self-contained page (charts and map inline, no network); ending in .pdf the
same page printed by Qt WebEngine.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", metavar="URL", help="the store (default: the console's own)")
    p.add_argument("--from", dest="start", metavar="ISO", help="period start (default: 12 hours before --to)")
    p.add_argument("--to", dest="end", metavar="ISO", help="period end (default: now)")
    p.add_argument("--out", required=True, metavar="FILE", help="FILE.html or FILE.pdf")
    p.add_argument("--lang", choices=["zh_CN", "en"], default="zh_CN")


def run(args: argparse.Namespace) -> int:
    out = Path(args.out)
    if out.suffix.lower() not in (".html", ".htm", ".pdf"):
        print("error: --out must end in .html or .pdf", file=sys.stderr)
        return 2
    from dispatch.errors import Refused
    from dispatch.record.replay import parse_time

    try:
        import time

        t2 = parse_time(args.end) if args.end else time.time()
        t1 = parse_time(args.start) if args.start else t2 - 12 * 3600
    except Refused as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if t2 <= t1:
        print("error: the period ends before it starts: give --from earlier than --to", file=sys.stderr)
        return 2
    from console.session import open_session
    from dispatch.analytics.report import report_data

    try:
        session = open_session(args.db)
    except Exception as exc:  # noqa: BLE001 - a store that cannot be opened: say so
        print(f"error: cannot open store: {exc}", file=sys.stderr)
        return 3
    try:
        data = report_data(session.core, t1, t2)
    finally:
        session.close()
    from console.app import create_app
    from console.report.html import render
    from dispatch.city.data import load_city

    app = create_app(lang=args.lang)

    page = render(data, lang=args.lang, city=load_city().geojson())
    if out.suffix.lower() == ".pdf":
        from console.report.pdf import html_to_pdf

        html_to_pdf(app, page, out)
    else:
        out.write_text(page, encoding="utf-8")
    print(f"{out}: {data['stats']['total']['reported']} incidents, {data['open_total']} open, "
          f"{data['overdue_total']} overdue, {data['alerts_total']} alerts")
    return 0
