"""`main.py devices` on real pseudo-terminals: a terminal session is never listed as a receiver nor opened,
a simulator's pty is, and every port is described in words (issue 19, item 18)."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
import termios
import tty

import pytest

from console.cli import main
from devices.serial_ports import detect_baud, is_terminal_session, list_serial_ports

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="pseudo-terminals under /proc")

SESSION = """
import fcntl, os, sys, termios
os.setsid()
fd = os.open(sys.argv[1], os.O_RDWR)  # becomes the new session's controlling terminal
fcntl.ioctl(fd, termios.TIOCSCTTY, 0)
print("ready", flush=True)
sys.stdin.read()
"""


@pytest.fixture
def session_pty():  # type: ignore[no-untyped-def]
    """A pty that a shell-like process holds as its controlling terminal (as a terminal window's)."""
    master, slave = pty.openpty()
    name = os.ttyname(slave)
    os.close(slave)
    p = subprocess.Popen([sys.executable, "-c", SESSION, name], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         text=True)
    assert p.stdout is not None and p.stdout.readline().strip() == "ready"
    yield name, p.pid
    p.communicate("", timeout=10)
    os.close(master)


@pytest.fixture
def simulator_pty():  # type: ignore[no-untyped-def]
    master, slave = pty.openpty()
    tty.setraw(slave)
    attrs = termios.tcgetattr(slave)
    attrs[4] = attrs[5] = termios.B4800  # the simulator's writer sets the receiver's speed
    termios.tcsetattr(slave, termios.TCSANOW, attrs)
    yield os.ttyname(slave)
    os.close(master)
    os.close(slave)


def test_a_terminal_session_is_neither_listed_nor_opened(session_pty, simulator_pty) -> None:  # type: ignore[no-untyped-def]
    name, pid = session_pty
    whose = is_terminal_session(name)
    assert whose is not None and whose.startswith(f"pid {pid} ")
    skipped: list[tuple[str, str]] = []
    ports = {p.device: p for p in list_serial_ports(include_pts=True, skipped=skipped)}
    assert name not in ports and (name, whose) in skipped
    assert simulator_pty in ports and ports[simulator_pty].baud == 4800 and ports[simulator_pty].kind == "pty"
    with pytest.raises(ValueError, match="terminal session"):
        detect_baud(name, window=0.2)


def test_a_fresh_ptys_default_speed_is_not_reported_as_a_receivers_baud() -> None:
    master, slave = pty.openpty()
    try:
        assert termios.tcgetattr(slave)[5] == termios.B38400  # what every new pty says
        port = next(p for p in list_serial_ports(include_pts=True) if p.device == os.ttyname(slave))
        assert port.baud is None
    finally:
        os.close(master)
        os.close(slave)


def test_devices_describes_each_port_and_says_what_it_left_out(session_pty, simulator_pty, capsys) -> None:  # type: ignore[no-untyped-def]
    name, pid = session_pty
    assert main(["devices", "--pts"]) == 0
    out, err = capsys.readouterr()
    line = next(ln for ln in out.splitlines() if ln.startswith(simulator_pty + " "))
    assert "pseudo-terminal (a simulator" in line and "line set to 4800 baud" in line
    assert name + " " not in out and f"skipped {name}: a terminal session (pid {pid} " in err
    assert "port(s)." in err and "--detect" in err
    for ln in out.splitlines():  # every port said something about itself, not only its name
        assert "; " in ln or "(" in ln, ln
