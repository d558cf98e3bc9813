"""`python main.py simulate --pty`: virtual serial ports speaking NMEA at a real baud rate.

Prints one line per port, ``<device> <label>`` (e.g. ``/dev/pts/7 truck-01``), then writes
until interrupted: GPS receivers riding the demo fleet's tracks, one AIS receiver hearing
every demo vessel, or (``--from FILE``) a recorded log. Point ``record``, the console's
device bench, gpsd or any NMEA program at the printed names.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--pty", action="store_true", help="create virtual serial ports (pseudo-terminals)")
    p.add_argument("--baud", type=int, default=4800,
                   choices=[4800, 9600, 19200, 38400, 57600, 115200], help="line speed (default 4800)")
    p.add_argument("--from", dest="from_file", metavar="FILE",
                   help="replay this log (bare sentences, or 'record' output) instead of the demo fleet")
    p.add_argument("--count", type=int, default=3, metavar="N",
                   help="how many GPS receivers of the demo fleet (default 3); an AIS receiver port is added")
    p.add_argument("--no-ais", action="store_true", help="no AIS receiver port")
    p.add_argument("--seconds", type=float, default=None, help="stop after this long (default: until Ctrl-C)")


def run(args: argparse.Namespace) -> int:
    if not args.pty:
        print("simulate: only --pty is supported (virtual serial ports)", file=sys.stderr)
        return 2
    from devices.sim.pty import LogPlayer, PtySimulator, VirtualSerialPort, fleet_ports

    if args.from_file:
        try:
            with open(args.from_file, "rb"):
                pass
        except OSError as exc:
            print(f"simulate: cannot read {args.from_file}: {exc.strerror}", file=sys.stderr)
            return 1
        ports = [(VirtualSerialPort(args.baud, "log"), LogPlayer(args.from_file))]
    else:
        from dispatch.demo.fleet import build_demo

        _units, tracks = build_demo()
        ports = fleet_ports(tracks, count=max(0, args.count), baud=args.baud, ais=not args.no_ais)
    sim = PtySimulator(ports)
    for port, _src in ports:
        print(f"{port.name} {port.label}", flush=True)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    sim.start()
    try:
        done.wait(args.seconds)
    except KeyboardInterrupt:
        pass
    finally:
        sim.stop()
    print(f"simulate: wrote {sim.sentences} sentences", file=sys.stderr)
    return 0
