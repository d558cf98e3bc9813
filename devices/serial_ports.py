"""Serial port discovery and baud-rate detection.

`list_serial_ports()` says what can be told of each port without opening it: the USB vendor
and product, serial number, the stable ``/dev/serial/by-id`` name, and for pseudo-terminals
(``include_pts=True``: simulators, gpsfake, socat) the line speed their writer set.

`detect_baud()` tries each rate for a short window and counts checksum-valid sentences: at a
wrong rate a UART delivers noise, so the rate that yields valid sentences is the one. The rate
the port is already set to is tried first (a pty's writer sets it; a device that was used
before keeps it), so the usual case costs one window.
"""

from __future__ import annotations

import glob
import logging
import os
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from devices.checksum import verify
from devices.lines import LineFramer

log = logging.getLogger(__name__)

BAUD_RATES: tuple[int, ...] = (4800, 9600, 38400, 115200, 19200, 57600)
"""Rates tried by autodetect, the commonest first: NMEA 0183 4800, modern GNSS 9600/115200, AIS 38400."""


@dataclass(frozen=True)
class PortInfo:
    device: str
    description: str = ""
    kind: str = "serial"  # "usb", "serial", "pty", "bluetooth"
    manufacturer: str | None = None
    product: str | None = None
    vid: int | None = None
    pid: int | None = None
    serial_number: str | None = None
    by_id: str | None = None  # stable name that survives a replug
    baud: int | None = None  # the speed the port is set to now, when it can be read
    hwid: str = ""

    def as_dict(self) -> dict[str, object]:
        return asdict(self)

    def label(self) -> str:
        parts = [self.device]
        if self.description and self.description != "n/a":
            parts.append(self.description)
        if self.vid is not None:
            parts.append(f"[{self.vid:04x}:{self.pid or 0:04x}]")
        if self.baud:
            parts.append(f"{self.baud} baud")
        return " ".join(parts)


def _by_id() -> dict[str, str]:
    out: dict[str, str] = {}
    for link in glob.glob("/dev/serial/by-id/*"):
        try:
            out[os.path.realpath(link)] = link
        except OSError:
            continue
    return out


def port_speed(device: str) -> int | None:
    """The line speed a tty is set to now (POSIX), without changing it; None if unknown."""
    try:
        import termios
    except ImportError:
        return None
    try:
        fd = os.open(device, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY)
    except OSError:
        return None
    try:
        speed = termios.tcgetattr(fd)[5]
    except termios.error:
        return None
    finally:
        os.close(fd)
    for rate in (*BAUD_RATES, 2400, 230400, 460800):
        if getattr(termios, f"B{rate}", None) == speed:
            return rate
    return None


PTY_DEFAULT_BAUD = 38400  # what a new pseudo-terminal reports until its writer sets a speed: says nothing


def _tty_nr(device: str) -> int | None:
    """The kernel's encoding of a tty's device number, as /proc/PID/stat gives a controlling terminal."""
    try:
        rdev = os.stat(device).st_rdev
    except OSError:
        return None
    major, minor = os.major(rdev), os.minor(rdev)
    return (minor & 0xFF) | (major << 8) | ((minor & ~0xFF) << 12)


def terminal_sessions() -> dict[int, str]:
    """Controlling terminals of the processes on this machine: tty number -> "pid N (command)".

    A pseudo-terminal that is some process's controlling terminal is a person's shell, an ssh login or a
    terminal window, not a receiver: listing it as one, or opening it to detect a baud rate, would read
    the keystrokes typed there. Linux (/proc); elsewhere only this process's own terminals are known.
    """
    out: dict[int, str] = {}
    for stat in glob.glob("/proc/[0-9]*/stat"):
        try:
            raw = Path(stat).read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        head, _, rest = raw.rpartition(")")
        fields = rest.split()
        if len(fields) < 5:
            continue
        tty = int(fields[4])  # tty_nr: the 7th field of stat, after pid, (comm), state, ppid, pgrp, session
        if tty and tty not in out:
            pid, _, comm = head.partition(" (")
            out[tty] = f"pid {pid} ({comm})"
    for fd in (0, 1, 2):
        try:
            mine = _tty_nr(os.ttyname(fd))
        except OSError:
            continue
        if mine:
            out.setdefault(mine, f"pid {os.getpid()} (this command)")
    return out


def is_terminal_session(device: str, sessions: dict[int, str] | None = None) -> str | None:
    """Whose terminal `device` is ("pid 812 (bash)"), or None if no process has it as its terminal."""
    nr = _tty_nr(device)
    if nr is None:
        return None
    return (terminal_sessions() if sessions is None else sessions).get(nr)


def list_serial_ports(include_pts: bool = False, skipped: list[tuple[str, str]] | None = None) -> list[PortInfo]:
    """Every serial port the OS knows, USB ones with vendor/product, pseudo-terminals if asked.

    A pseudo-terminal that is a terminal session (a shell's, a login's) is left out; `skipped`, if given,
    receives (device, whose) for each."""
    from serial.tools import list_ports

    by_id = _by_id()
    out: list[PortInfo] = []
    try:
        found = list(list_ports.comports())
    except Exception as exc:  # a broken sysfs entry must not stop the listing
        log.warning("listing serial ports failed: %s", exc)
        found = []
    for p in found:
        kind = "usb" if p.vid is not None else ("bluetooth" if "rfcomm" in p.device else "serial")
        out.append(PortInfo(p.device, p.description or "", kind, p.manufacturer, p.product, p.vid, p.pid,
                            p.serial_number, by_id.get(os.path.realpath(p.device)), None, p.hwid or ""))
    if include_pts:
        sessions = terminal_sessions()
        for dev in sorted(glob.glob("/dev/pts/[0-9]*"), key=lambda d: int(Path(d).name)):
            if dev in {p.device for p in out}:
                continue
            whose = is_terminal_session(dev, sessions)
            if whose is not None:
                if skipped is not None:
                    skipped.append((dev, whose))
                continue
            speed = port_speed(dev)
            out.append(PortInfo(dev, "pseudo-terminal", "pty", baud=None if speed == PTY_DEFAULT_BAUD else speed))
    return out


@dataclass(frozen=True)
class BaudResult:
    baud: int
    valid: int  # checksum-valid sentences seen in the window
    invalid: int  # lines that looked like sentences but failed the checksum
    seconds: float


def probe_rate(port: str, baud: int, window: float, enough: int = 3,
               stop: threading.Event | None = None) -> BaudResult:
    """Open `port` at `baud` and count checksum-valid sentences for up to `window` seconds.

    :raises serial.SerialException: the port cannot be opened.
    """
    import serial

    started = time.monotonic()
    framer = LineFramer(512)
    valid = invalid = 0
    with serial.Serial(port, baud, timeout=0.1) as ser:
        deadline = started + window
        while time.monotonic() < deadline and valid < enough and not (stop and stop.is_set()):
            chunk = ser.read(max(1, ser.in_waiting))
            if not chunk:
                continue
            for line in framer.feed(chunk):
                if line[:1] in ("$", "!"):
                    if verify(line):
                        valid += 1
                    else:
                        invalid += 1
    return BaudResult(baud, valid, invalid, time.monotonic() - started)


def detect_baud(port: str, rates: list[int] | tuple[int, ...] | None = None, *, window: float = 1.5,
                enough: int = 3, stop: threading.Event | None = None) -> BaudResult | None:
    """Find the rate at which `port` speaks checksum-valid NMEA/AIS; None if none does.

    A rate that gives `enough` valid sentences wins at once; otherwise the rate with the most
    valid (and more valid than invalid) after every window.

    :raises serial.SerialException: the port cannot be opened at all.
    :raises ValueError: the port is a terminal session (someone's shell), which is never opened.
    """
    whose = is_terminal_session(port)
    if whose is not None:  # reading it would take the keystrokes typed there
        raise ValueError(f"{port} is a terminal session ({whose}), not a receiver: not opened")
    order = list(rates or BAUD_RATES)
    current = port_speed(port)
    if current in order:
        order.remove(current)
        order.insert(0, current)
    best: BaudResult | None = None
    for rate in order:
        if stop is not None and stop.is_set():
            return None
        res = probe_rate(port, rate, window, enough, stop)
        log.debug("baud probe %s @ %d: %d valid, %d invalid", port, rate, res.valid, res.invalid)
        if res.valid >= enough and res.valid > res.invalid:
            return res
        if res.valid and res.valid > res.invalid and (best is None or res.valid > best.valid):
            best = res
    return best
