"""Virtual serial ports: pseudo-terminals that speak NMEA at the real pace of a baud rate.

Like gpsd's gpsfake: each `VirtualSerialPort` is an ``os.openpty()`` pair in raw mode with its
line speed set, so a program opening the slave name (``/dev/pts/7``) sees a serial receiver.
Bytes go out at the baud rate's pace (10 bits a byte: start, 8 data, stop), so a 4800-baud
port carries at most 480 bytes a second and a receiver's once-a-second burst takes as long as
it does on a wire. Nobody listening loses the bytes, as on a wire: at most a second is held.

Sources: a simulated GPS receiver on a `SimTrack` (GGA, GSA, GSV, RMC, VTG each epoch), an AIS
receiver hearing every vessel of a `FleetSimulator`, or a recorded log replayed at its pace.
"""

from __future__ import annotations

import fcntl
import logging
import math
import os
import random
import struct
import termios
import threading
import time
import tty
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from devices.nmea import encode
from devices.recording import split_record
from devices.records import Satellite
from devices.sim.fleet import FleetSimulator, SimTrack

log = logging.getLogger(__name__)

LineSource = Callable[[float], list[str]]  # now -> lines due


class VirtualSerialPort:
    """One pty pair. Programs open `name`; we write into the master at `baud`'s pace."""

    def __init__(self, baud: int = 4800, label: str = "") -> None:
        self.baud = baud
        self.label = label
        self.master, self.slave = os.openpty()
        tty.setraw(self.slave)
        attrs = termios.tcgetattr(self.slave)
        speed = getattr(termios, f"B{baud}")
        attrs[4] = attrs[5] = speed
        termios.tcsetattr(self.slave, termios.TCSANOW, attrs)
        self.name = os.ttyname(self.slave)
        flags = fcntl.fcntl(self.master, fcntl.F_GETFL)
        fcntl.fcntl(self.master, fcntl.F_SETFL, flags | os.O_NONBLOCK)
        self._free_at = time.monotonic()  # when the line is idle again
        self.bytes_written = 0
        self.bytes_lost = 0
        self.closed = False

    @property
    def byte_time(self) -> float:
        return 10.0 / self.baud

    def pending_input(self) -> int:
        """Bytes written but not yet read by whoever holds the slave."""
        try:
            buf = fcntl.ioctl(self.slave, termios.FIONREAD, b"\0\0\0\0")
            return int(struct.unpack("i", buf)[0])
        except OSError:
            return 0

    def write(self, data: bytes, stop: threading.Event | None = None) -> None:
        """Send bytes at the line's pace: returns when the last byte is 'on the wire'."""
        now = time.monotonic()
        start = max(now, self._free_at)
        if start > now:
            if stop is not None:
                if stop.wait(start - now):
                    return
            else:
                time.sleep(start - now)
        if self.pending_input() > self.baud // 10:  # nobody reading: the bytes fall on the floor
            termios.tcflush(self.slave, termios.TCIFLUSH)
        try:
            n = os.write(self.master, data)
        except BlockingIOError:
            n = 0
        except OSError:
            n = 0
        self.bytes_written += n
        self.bytes_lost += len(data) - n
        self._free_at = start + len(data) * self.byte_time

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        for fd in (self.master, self.slave):
            try:
                os.close(fd)
            except OSError:
                pass


# ---------------------------------------------------------------- sources
_CONSTELLATION = (2, 5, 7, 9, 13, 15, 18, 20, 24, 27, 29, 30, 194, 195)


class GpsReceiver:
    """A GNSS receiver on one track: each epoch GGA, GSA, a GSV group, RMC and VTG."""

    def __init__(self, track: SimTrack, *, t0: float | None = None, seed: int = 1) -> None:
        self.track = track
        self.t0 = time.time() if t0 is None else t0
        self.rng = random.Random(seed)
        self.next_at = math.floor(self.t0) + 1.0
        self.sats = [Satellite(p, 10 + (p * 7 + seed) % 80, (p * 37 + seed * 11) % 360, 20 + (p + seed) % 28)
                     for p in _CONSTELLATION[: 9 + seed % 4]]

    def __call__(self, now: float) -> list[str]:
        if now < self.next_at:
            return []
        t = self.next_at
        self.next_at = max(self.next_at + self.track.interval_s, math.floor(now) + self.track.interval_s)
        tr = self.track
        lat, lon, speed, course = tr.state_at(t - self.t0)
        if tr.jitter_m:
            lat += self.rng.gauss(0, tr.jitter_m) / 111_320.0
            lon += self.rng.gauss(0, tr.jitter_m) / (111_320.0 * math.cos(math.radians(lat)))
        talker = tr.talker
        used = [s.prn for s in self.sats[:-2]]
        hdop = round(0.7 + self.rng.random() * 0.5, 2)
        out = [encode.gga(talker, t, lat, lon, 86.0 + self.rng.random(), sats=len(used), hdop=hdop, geoid_sep=-19.6),
               encode.gsa(talker, used, round(hdop * 1.6, 2), hdop, round(hdop * 1.3, 2))]
        # the view under the constellation's own talker, so the GSA's PRNs are found in it (a BeiDou
        # receiver's $BDGSA numbers BeiDou satellites; GN/GP ones are GPS numbers, listed as $GPGSV)
        out += encode.gsv(talker if talker in ("BD", "GB") else "GP", self.sats)
        out += [encode.rmc(talker, t, lat, lon, speed, course), encode.vtg(talker, course, speed)]
        return out


class AisReceiver:
    """A shore AIS receiver: every vessel of a fleet simulator, as one stream of !AIVDM."""

    def __init__(self, sim: FleetSimulator) -> None:
        self.sim = sim

    def __call__(self, now: float) -> list[str]:
        return [line for _src, line in self.sim.due(now)]


class LogPlayer:
    """A recorded log, looped: at its recorded pace where it has receive times, else a second per epoch."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._it = self._entries()
        self._pending: tuple[float, str] | None = None
        self._offset: float | None = None

    def _entries(self) -> Iterator[tuple[float, str]]:
        while True:
            t_rel = 0.0
            last_epoch: str | None = None
            first: float | None = None
            count = 0
            with self.path.open("r", encoding="ascii", errors="replace") as fh:
                for raw in fh:
                    text = raw.strip()
                    if not text:
                        continue
                    recorded, sentence = split_record(text)
                    if sentence[:1] not in ("$", "!"):
                        continue
                    count += 1
                    if recorded is not None:
                        first = recorded if first is None else first
                        t_rel = recorded - first
                    elif sentence[3:6] in ("RMC", "GGA", "GLL", "ZDA"):
                        epoch = sentence.split(",", 2)[1] if "," in sentence else ""
                        if last_epoch is not None and epoch != last_epoch:
                            t_rel += 1.0
                        last_epoch = epoch
                    yield t_rel, sentence
            if count == 0:
                return
            yield t_rel + 1.0, ""  # a pause between loops

    def __call__(self, now: float) -> list[str]:
        out: list[str] = []
        while True:
            if self._pending is None:
                try:
                    self._pending = next(self._it)
                except StopIteration:
                    return out
            t_rel, sentence = self._pending
            if self._offset is None or (t_rel == 0.0 and not out and self._offset + t_rel < now - 5):
                self._offset = now - t_rel
            if self._offset + t_rel > now:
                return out
            self._pending = None
            if sentence:
                out.append(sentence)
            if len(out) > 200:
                return out


# ---------------------------------------------------------------- runner
class PtySimulator:
    """Runs one writer thread per port until stopped."""

    def __init__(self, ports: Sequence[tuple[VirtualSerialPort, LineSource]], *, tick: float = 0.05) -> None:
        self.ports = list(ports)
        self.tick = tick
        self.stop_event = threading.Event()
        self.threads: list[threading.Thread] = []
        self.sentences = 0

    def start(self) -> PtySimulator:
        for port, source in self.ports:
            t = threading.Thread(target=self._run, args=(port, source), name=f"pty-{port.label}", daemon=True)
            t.start()
            self.threads.append(t)
        return self

    def _run(self, port: VirtualSerialPort, source: LineSource) -> None:
        stop = self.stop_event
        while not stop.is_set():
            try:
                lines = source(time.time())
            except Exception:
                log.exception("simulated source of %s failed", port.label)
                lines = []
            for line in lines:
                if stop.is_set():
                    break
                port.write(line.encode("ascii", "replace") + b"\r\n", stop)
                self.sentences += 1
            if not lines:
                stop.wait(self.tick)

    def stop(self) -> None:
        self.stop_event.set()
        for t in self.threads:
            t.join(2.0)
        for port, _ in self.ports:
            port.close()


def fleet_ports(tracks: Sequence[SimTrack], *, count: int, baud: int, ais: bool = True,
                t0: float | None = None) -> list[tuple[VirtualSerialPort, LineSource]]:
    """`count` GPS receivers on the NMEA tracks (1 Hz first), plus one AIS receiver for every vessel."""
    t0 = time.time() if t0 is None else t0
    nmea = sorted((t for t in tracks if t.protocol == "nmea"), key=lambda t: t.interval_s)
    out: list[tuple[VirtualSerialPort, LineSource]] = []
    for i, tr in enumerate(nmea[:count]):
        label = tr.source.split(":", 1)[-1]
        out.append((VirtualSerialPort(baud, label), GpsReceiver(tr, t0=t0, seed=i + 1)))
    vessels = [t for t in tracks if t.protocol == "ais"]
    if ais and vessels:
        out.append((VirtualSerialPort(baud, "ais"), AisReceiver(FleetSimulator(vessels, t0=t0))))
    return out
