"""`python main.py simulate --pty`: virtual serial ports speaking NMEA at a real baud rate.
`python main.py simulate --jt808 tcp://HOST:PORT --trucks N`: JT/T 808 truck terminals.

Prints one line per port, ``<device> <label>`` (e.g. ``/dev/pts/7 truck-01``), then writes
until interrupted: GPS receivers riding the demo fleet's tracks, one AIS receiver hearing
every demo vessel, or (``--from FILE``) a recorded log. Point ``record``, the console's
device bench, gpsd or any NMEA program at the printed names.

With ``--jt808`` it runs N terminals (`devices.sim.jt808`) riding the demo city's truck routes
(after the 40 demo trucks the routes repeat): terminal numbers 0139 0000 0001 upwards, each
registering, authenticating, reporting every ``--interval`` seconds, losing its signal for a while
(every tenth truck, ``--signal-loss``) and catching up with blind-area batches, and answering the
platform (text, position query, tracking, parameters). Prints one line per terminal, ``<phone>
<truck>``, then ``<phone> text: <text>`` for each text a display receives, and the totals at the end.
"""

from __future__ import annotations

import argparse
import copy
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
    p.add_argument("--jt808", metavar="tcp://HOST:PORT", help="run JT/T 808 truck terminals against this platform")
    p.add_argument("--trucks", type=int, default=40, metavar="N", help="with --jt808: how many terminals (default 40)")
    p.add_argument("--interval", type=float, default=10.0, metavar="SECONDS",
                   help="with --jt808: seconds between position reports (default 10)")
    p.add_argument("--edition", type=int, choices=[2013, 2019], default=2013,
                   help="with --jt808: the header edition the terminals speak (default 2013)")
    p.add_argument("--camera-every", type=float, default=None, metavar="SECONDS",
                   help="with --jt808: each truck's camera takes a photo this often and keeps it (uploaded when "
                        "the platform asks for the photos of a time: ctl jt808 photos-upload)")
    p.add_argument("--waybill", action="store_true",
                   help="with --jt808: each truck sends its trip's electronic waybill (0x0701) once logged in")
    p.add_argument("--can", action="store_true",
                   help="with --jt808: each report is followed by the truck's CAN bus data (0x0705: engine speed and road "
                        "speed, J1939); the device bench shows it on the terminal's number")
    p.add_argument("--signal-loss", default="60:180", metavar="FROM:TO",
                   help="with --jt808: seconds after start during which every tenth truck (08, 18 ...) has no "
                        "signal and stores its positions (default 60:180; 'none' for never)")


def run(args: argparse.Namespace) -> int:
    if getattr(args, "jt808", None):
        return _run_jt808(args)
    if not args.pty:
        print("simulate: give --pty (virtual serial ports) or --jt808 tcp://HOST:PORT", file=sys.stderr)
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


def _waybill(plate: str, n: int) -> str:
    """A demo truck's trip waybill as a disposal permit's record reads (its content is the terminal vendor's)."""
    import time

    return f"建筑垃圾处置联单 LZ-{time.strftime('%Y%m%d')}-{n:04d} {plate} 柳南区工地 -> 洛维消纳场"


def _run_jt808(args: argparse.Namespace) -> int:
    from devices.sim.jt808 import Jt808Fleet, SimTerminal, truck_phone
    from dispatch.demo.fleet import build_demo

    host, _, port_text = args.jt808.removeprefix("tcp://").rpartition(":")
    if not args.jt808.startswith("tcp://") or not host or not port_text.isdigit():
        print(f"simulate: --jt808 takes tcp://HOST:PORT, not {args.jt808!r}", file=sys.stderr)
        return 2
    port = int(port_text)
    loss: tuple[float, float] | None = None
    if args.signal_loss != "none":
        try:
            a, b = (float(x) for x in args.signal_loss.split(":"))
            loss = (a, b)
        except ValueError:
            print("simulate: --signal-loss is FROM:TO in seconds, or 'none'", file=sys.stderr)
            return 2
    units, tracks = build_demo()
    trucks = [(u, t) for u, t in zip(units, tracks, strict=True) if u.kind == "truck"]
    terminals = []
    for i in range(max(0, args.trucks)):
        unit, track = trucks[i % len(trucks)]
        if i >= len(trucks):  # the routes again, elsewhere along them
            track = copy.copy(track)
            track.start = (track.start + 0.37 * (i // len(trucks))) % 1.0
        terminals.append(SimTerminal(truck_phone(i + 1), track, edition=args.edition, plate=unit.name,
                                     interval_s=args.interval, blackout=loss if (i + 1) % 10 == 8 else None,
                                     seed=i, camera_every_s=args.camera_every,
                                     waybill=_waybill(unit.name, i + 1) if args.waybill else None, can=args.can))
        print(f"{truck_phone(i + 1)} {unit.id if i < len(trucks) else f'truck-{i + 1}'}", flush=True)
    for term in terminals:
        term.on_text = lambda t, text: print(f"{t.phone} text: {text}", flush=True)
    fleet = Jt808Fleet(terminals, host, port).start()
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    try:
        done.wait(args.seconds)
    except KeyboardInterrupt:
        pass
    finally:
        fleet.stop()
    totals = fleet.totals()
    print("simulate: " + ", ".join(f"{v} {k}" for k, v in totals.items()), file=sys.stderr)
    return 0
