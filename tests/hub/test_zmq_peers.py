"""The field link's raw peers (dispatch/hub/zmq_peers.py) measure what they say: every round trip counted
once the warm-up is left out, and the cross-process peer's echo in a process of its own that ends with it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from dispatch.hub.zmq_peers import zmq_rtt, zmq_rtt_processes


def _children() -> set[int]:
    """This process's live children, from /proc (a child not yet reaped counts too)."""
    out = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # ended meanwhile
        if int(fields[1]) == os.getpid():
            out.add(int(stat.parent.name))
    return out


def test_in_process_curve_peer_counts_each_round_trip() -> None:
    out = zmq_rtt(25, curve=True)
    assert len(out) == 25
    assert all(0 < ms < 1000 for ms in out)


def test_cross_process_peer_echoes_from_a_child_that_ends_with_it() -> None:
    before = _children()
    out = zmq_rtt_processes(25)
    assert len(out) == 25
    assert all(0 < ms < 1000 for ms in out)
    assert _children() - before == set()  # the echo process is gone, not left behind


def test_cross_process_peer_says_when_its_echo_cannot_start(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.executable", "/bin/false")  # the child exits at once, saying no port
    with pytest.raises(RuntimeError, match="did not start"):
        zmq_rtt_processes(5)
