"""`python main.py ingest FILE --unit UNIT [--db URL]`: a recorded NMEA log through the whole pipeline.

The log goes through the same path as a live feed (a file transport read as fast as it can be, the
feed's decoder and binding, `Dispatch.ingest`, the rules on every fix, the store), with the log's own
timestamps (each fix is stamped with the time its sentences carry), so a truck's day can be checked
after the fact: the alerts the rules raise are recorded as they would have been live.
"""

from __future__ import annotations

import argparse
import json
import sys
import time


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", help="the NMEA log (bare sentences, or '<ISO time> <sentence>' lines as `record` writes)")
    p.add_argument("--unit", required=True, help="the unit the log belongs to (registered already)")
    p.add_argument("--db", metavar="URL", help="the store (default: the console's)")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    if not Path(args.file).is_file():
        print(f"error: cannot read {args.file}: no such file", file=sys.stderr)
        return 1
    from console.session import open_session

    try:
        session = open_session(args.db)
    except Exception as exc:
        print(f"error: cannot open store: {exc}", file=sys.stderr)
        return 3
    try:
        core = session.core
        if args.unit not in core.state.units:
            print(f"error: unknown unit {args.unit!r}; register it first (ctl unit add, ctl trucks import)",
                  file=sys.stderr)
            return 1
        summary = ingest_file(core, args.file, args.unit)
    finally:
        session.close()
    if args.json:
        print(json.dumps(summary, ensure_ascii=False))
    else:
        print(f"{summary['lines']} lines, {summary['fixes']} fixes of {args.unit} "
              f"({summary['first']} .. {summary['last']}), {summary['bad_lines']} bad lines, "
              f"{summary['alerts']} alert(s) raised, {summary['seconds']} s")
    return 0


def ingest_file(core, path: str, unit: str) -> dict:  # type: ignore[no-untyped-def]
    """Feed one log through a FeedManager (no pump thread: this thread pumps until the file ends)."""
    from console.cli.ctl import iso
    from devices.transports import FileReplay
    from dispatch.feeds.config import FeedSpec
    from dispatch.feeds.manager import FeedManager
    from dispatch.rules.alerts import alert_book

    with core.lock:
        alerts_before = alert_book(core.state).next_id
    first_fix = core.fixes_ingested
    span: list[float] = []

    def watch(rows: list, contacts: bool) -> None:  # type: ignore[type-arg]
        if not contacts:
            ts = [r[1] for r in rows if r[0] == unit]
            if ts:
                span[:] = [min(ts + span[:1]), max(ts + span[1:])]

    core.fix_handlers.append(watch)
    started = time.perf_counter()
    mgr = FeedManager(core)
    spec = FeedSpec("ingest", "file", path=path, pace="fast", unit=unit)
    transport = FileReplay("ingest", path, pace="fast", queue_size=50_000_000)
    feed = mgr.add(spec, start=False, transport=transport)
    transport.start()  # the manager's own pump thread is not started: this thread pumps
    while True:
        ended = not transport.running
        mgr.pump_once()
        if ended and not transport.wait_lines(0):
            break
        transport.wait_lines(0.2)
    core.flush()
    core.fix_handlers.remove(watch)
    with core.lock:
        alerts = alert_book(core.state).next_id - alerts_before
    st = feed.snapshot(core.clock())
    mgr.remove("ingest")
    return {"unit": unit, "lines": transport.stats.lines, "fixes": core.fixes_ingested - first_fix,
            "bad_lines": st.checksum_errors + st.errors, "first": iso(span[0] if span else None),
            "last": iso(span[1] if span else None), "alerts": alerts,
            "seconds": round(time.perf_counter() - started, 2)}
