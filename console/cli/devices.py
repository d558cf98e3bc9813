"""`python main.py devices`: the serial ports this machine has, with what can be told of each."""

from __future__ import annotations

import argparse
import json
import sys


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--pts", action="store_true", help="also list pseudo-terminals (/dev/pts/N: simulators)")
    p.add_argument("--json", action="store_true", help="one JSON object per port")
    p.add_argument("--detect", action="store_true", help="also find each port's baud rate (opens the ports)")


def run(args: argparse.Namespace) -> int:
    from devices.serial_ports import detect_baud, list_serial_ports

    ports = list_serial_ports(include_pts=args.pts)
    if not ports:
        print("no serial ports found" + ("" if args.pts else " (--pts to include pseudo-terminals)"),
              file=sys.stderr)
        return 0
    for p in ports:
        d = p.as_dict()
        if args.detect:
            try:
                res = detect_baud(p.device, window=1.2)
                d["detected_baud"] = res.baud if res else None
            except Exception as exc:
                d["detected_baud"] = None
                d["error"] = str(exc)
        if args.json:
            print(json.dumps(d, ensure_ascii=False))
            continue
        line = p.label()
        extra = [f"{k}={d[k]}" for k in ("manufacturer", "serial_number", "by_id", "detected_baud", "error")
                 if d.get(k) not in (None, "")]
        print(f"{line}  {' '.join(extra)}".rstrip())
    return 0
