"""Where the field client's own positions come from: a serial GNSS receiver or the simulator."""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable

log = logging.getLogger(__name__)

Report = Callable[[float, float, float | None, float | None], None]  # lat, lon, speed m/s, course


def serial_positions(port: str, report: Report, stop: threading.Event, baud: int = 4800) -> threading.Thread:
    """Read NMEA from `port` (the same decoders as the console's feeds) and report every fix."""

    def run() -> None:
        import serial

        from dispatch.feeds.pump import LineDecoder

        decoder = LineDecoder("field-gps")
        while not stop.is_set():
            try:
                with serial.Serial(port, baud, timeout=0.5) as ser:
                    while not stop.is_set():
                        raw = ser.readline()
                        if not raw:
                            continue
                        for rec in decoder.decode(raw.decode("ascii", errors="replace").strip()):
                            lat, lon = getattr(rec, "lat", None), getattr(rec, "lon", None)
                            if lat is not None and lon is not None:
                                report(lat, lon, getattr(rec, "speed", None), getattr(rec, "course", None))
            except Exception as exc:  # unplugged receiver: retry, never crash the client
                log.warning("gps %s: %s; retrying in 2 s", port, exc)
                stop.wait(2.0)

    t = threading.Thread(target=run, name="field-gps", daemon=True)
    t.start()
    return t


def simulated_positions(unit_id: str, report: Report, stop: threading.Event, interval: float = 2.0,
                        start: tuple[float, float] = (24.3264, 109.4152)) -> threading.Thread:
    """The unit's demo-city track if it has one, else a slow circle round `start`."""

    def run() -> None:
        track = None
        try:
            from dispatch.demo.fleet import build_demo

            _units, tracks = build_demo()
            track = next((t for t in tracks if t.source.endswith(f":{unit_id}")), None)
        except Exception:
            log.exception("no demo track for %s", unit_id)
        t0 = time.time()
        while not stop.wait(interval):
            el = time.time() - t0
            if track is not None:
                lat, lon, speed, course = track.state_at(el)
            else:
                a = el / 600 * 2 * math.pi
                lat, lon = start[0] + 0.003 * math.sin(a), start[1] + 0.003 * math.cos(a)
                speed, course = 3.0, (math.degrees(-a)) % 360
            report(lat, lon, speed, course)

    t = threading.Thread(target=run, name="field-sim", daemon=True)
    t.start()
    return t
