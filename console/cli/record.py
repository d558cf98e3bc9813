"""`python main.py record --port PORT --out FILE`: raw sentences from a serial port, with receive times.

Each line of FILE is ``<UTC receive time, ISO 8601>\\t<sentence as received>``: the sentence keeps
its checksum, `simulate --from` and the file feed replay it at its pace, and ``cut -f2`` gives the
bare log. ``--baud auto`` (the default) finds the rate first. Bad lines are kept out and counted.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--port", required=True, help="serial device, e.g. /dev/ttyUSB0 or /dev/pts/7")
    p.add_argument("--baud", default="auto", help="line speed or 'auto' (default: auto-detect 4800..115200)")
    p.add_argument("--out", required=True, metavar="FILE", help="where to write (- for standard output)")
    p.add_argument("--seconds", type=float, default=None, help="stop after this long (default: until Ctrl-C)")
    p.add_argument("--all", action="store_true", help="also keep lines whose checksum fails")


def stamp(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def run(args: argparse.Namespace) -> int:
    from devices.checksum import verify
    from devices.serial_ports import detect_baud
    from devices.transports.serial import SerialTransport

    if args.baud == "auto":
        try:
            found = detect_baud(args.port)
        except Exception as exc:
            print(f"record: cannot open {args.port}: {exc}", file=sys.stderr)
            return 1
        if found is None:
            print(f"record: no checksum-valid sentences on {args.port} at any rate", file=sys.stderr)
            return 1
        baud = found.baud
        print(f"record: {args.port} speaks at {baud} baud ({found.valid} valid sentences in "
              f"{found.seconds:.1f} s)", file=sys.stderr)
    else:
        try:
            baud = int(args.baud)
        except ValueError:
            print(f"record: --baud must be a number or 'auto', not {args.baud!r}", file=sys.stderr)
            return 2
    try:
        out = sys.stdout if args.out == "-" else open(args.out, "w", encoding="ascii", errors="replace")
    except OSError as exc:
        print(f"record: cannot write {args.out}: {exc.strerror}", file=sys.stderr)
        return 1
    feed = SerialTransport("record", args.port, baud)
    kept = bad = 0
    end = None if args.seconds is None else time.monotonic() + args.seconds
    feed.start()
    try:
        while end is None or time.monotonic() < end:
            feed.wait_lines(0.2 if end is None else max(0.0, min(0.2, end - time.monotonic())))
            for raw in feed.drain():
                line = raw.line
                ok = line[:1] in ("$", "!") and verify(line) or line[:1] == "{"
                if ok or args.all:
                    out.write(f"{stamp(raw.ts)}\t{line}\n")
                    kept += 1
                else:
                    bad += 1
            out.flush()
    except KeyboardInterrupt:
        pass
    finally:
        feed.stop()
        if out is not sys.stdout:
            out.close()
    st = feed.stats
    print(f"record: {kept} sentences kept, {bad} bad, {st.garbage} noise, {st.disconnects} disconnects"
          + (f", last error: {st.last_error}" if st.last_error else ""), file=sys.stderr)
    return 0 if kept or st.connects else 1
