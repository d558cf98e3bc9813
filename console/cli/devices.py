"""`python main.py devices`: the serial ports this machine has, with what can be told of each."""

from __future__ import annotations

import argparse
import json
import os
import sys

KINDS = {
    "usb": "USB serial adapter",
    "serial": "serial port, built in or virtual (the OS names no vendor)",
    "bluetooth": "Bluetooth serial link",
    "pty": "pseudo-terminal (a simulator, gpsfake, socat)",
}


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--pts", action="store_true", help="also list pseudo-terminals (/dev/pts/N: simulators); "
                   "terminal sessions (shells, logins) are never listed")
    p.add_argument("--json", action="store_true", help="one JSON object per port")
    p.add_argument("--detect", action="store_true", help="also find each port's baud rate (opens the ports)")


def describe(d: dict[str, object]) -> list[str]:
    """What can be told of one port, in words (the --json fields, for a person)."""
    out = [KINDS.get(str(d.get("kind")), str(d.get("kind") or ""))]
    if d.get("description") not in (None, "", "n/a", "pseudo-terminal"):
        out.append(str(d["description"]))
    if d.get("manufacturer"):
        out.append(f"made by {d['manufacturer']}")
    if d.get("vid") is not None:
        out.append(f"USB id {int(d['vid']):04x}:{int(d.get('pid') or 0):04x}")  # type: ignore[call-overload]
    if d.get("serial_number"):
        out.append(f"serial number {d['serial_number']}")
    if d.get("by_id"):
        out.append(f"stable name {d['by_id']}")
    if d.get("baud"):
        out.append(f"line set to {d['baud']} baud")
    if not d.get("access", True):
        out.append("no permission to open it (join the dialout group)")
    if "detected_baud" in d:
        out.append(f"speaks NMEA/AIS at {d['detected_baud']} baud" if d["detected_baud"]
                   else "no NMEA/AIS heard at any baud rate")
    if d.get("error"):
        out.append(f"error: {d['error']}")
    return out


def run(args: argparse.Namespace) -> int:
    from devices.serial_ports import detect_baud, list_serial_ports, port_speed

    skipped: list[tuple[str, str]] = []
    ports = list_serial_ports(include_pts=args.pts, skipped=skipped)
    for dev, whose in skipped:
        print(f"skipped {dev}: a terminal session ({whose}), not a receiver", file=sys.stderr)
    if not ports:
        print("no serial ports found" + ("" if args.pts else " (--pts to include pseudo-terminals)"),
              file=sys.stderr)
        return 0
    for p in ports:
        d = p.as_dict()
        if p.kind != "pty" and d.get("baud") is None:
            d["baud"] = port_speed(p.device)
        d["access"] = os.access(p.device, os.R_OK | os.W_OK)
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
        print(f"{p.device}  " + "; ".join(describe(d)))
    if not args.json:
        hints = [] if args.detect else ["--detect listens on each port for the baud rate of an NMEA/AIS receiver"]
        if not args.pts:
            hints.append("--pts also lists pseudo-terminals (simulators)")
        print(f"{len(ports)} port(s)." + (" " + "; ".join(hints) + "." if hints else ""), file=sys.stderr)
    return 0
