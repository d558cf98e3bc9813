"""`python main.py field --unit UNIT --hub tcp://HOST:PORT --keys DIR [--gps PORT | --simulate] [--headless]`.

The field client of a boat crew or an officer. With a window (the default): the current
assignment on a map, accept/decline, big status buttons, messages. `--headless` runs without
any window and writes each message it receives (not heartbeats) as one JSON line on stdout;
`--auto-accept` accepts every assignment (tests and load generation), those an earlier run left
unanswered included. Its state (the last message processed, answers not yet acknowledged) is kept
in DIR/UNIT.state.json so nothing is processed twice across restarts.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--unit", required=True, metavar="UNIT", help="this unit's id (as enrolled with `keys new`)")
    p.add_argument("--hub", required=True, metavar="ENDPOINT", help="the hub's field endpoint, e.g. tcp://10.0.0.5:5570")
    p.add_argument("--keys", required=True, metavar="DIR", help="folder with UNIT.key.json from `keys new`")
    src = p.add_mutually_exclusive_group()
    src.add_argument("--gps", metavar="PORT", help="send positions from this serial GNSS receiver (NMEA)")
    src.add_argument("--simulate", action="store_true", help="send simulated positions (the demo city track)")
    p.add_argument("--baud", type=int, default=4800, help="--gps baud rate (default 4800)")
    p.add_argument("--headless", action="store_true", help="no window; one JSON line per received message")
    p.add_argument("--auto-accept", action="store_true", help="accept every assignment at once")
    p.add_argument("--lang", choices=["zh_CN", "en"], help="UI language (default: the user's locale; Chinese under the C/POSIX locale)")
    p.add_argument("--no-map", action="store_true", help="window without the map (slow tablets)")
    p.add_argument("--screenshot", metavar="FILE", help="window: run, write a PNG of it, and exit")
    p.add_argument("--run-for", type=float, default=3.0, metavar="SECONDS",
                   help="with --screenshot: how long to run before the picture (default 3)")


def make_client(args: argparse.Namespace, on_message) -> object:  # type: ignore[no-untyped-def]
    from pathlib import Path

    from dispatch.hub.client import FieldClient
    from dispatch.hub.keys import load_key_file

    keys = load_key_file(args.keys, args.unit)
    if keys["unit_id"] != args.unit:
        raise ValueError(f"the key file is for {keys['unit_id']}, not {args.unit}")
    return FieldClient(args.unit, args.hub, keys, state_path=Path(args.keys) / f"{args.unit}.state.json",
                       on_message=on_message, auto_accept=args.auto_accept)


def start_positions(args: argparse.Namespace, client, stop: threading.Event) -> None:  # type: ignore[no-untyped-def]
    from console.field.positions import serial_positions, simulated_positions

    def report(lat: float, lon: float, speed: float | None, course: float | None) -> None:
        client.position(lat, lon, speed=speed, course=course)

    if args.gps:
        serial_positions(args.gps, report, stop, args.baud)
    elif args.simulate:
        simulated_positions(args.unit, report, stop)


def run(args: argparse.Namespace) -> int:
    if not args.headless:
        from console.field.run import run_window

        return run_window(args)
    lock = threading.Lock()

    def emit(msg: dict) -> None:  # type: ignore[type-arg]
        with lock:
            sys.stdout.write(json.dumps(msg, ensure_ascii=False) + "\n")
            sys.stdout.flush()

    try:
        client = make_client(args, emit)
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    start_positions(args, client, stop)
    client.run(stop)  # type: ignore[attr-defined]
    if client.revoked:  # type: ignore[attr-defined]
        print(f"error: the hub revoked {args.unit}'s key", file=sys.stderr)
        return 4
    if client.replaced:  # type: ignore[attr-defined]
        print(f"error: another device logged in as {args.unit}; this client stopped", file=sys.stderr)
        return 5
    return 0
