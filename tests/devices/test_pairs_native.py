"""The compiled whole-batch RMC+GGA parse (devices/nmea/_cpairs.c) against the numpy one, field by field.

`devices.nmea.pairs.scan_pairs` uses the C module when it is built; `_scan_pairs_numpy` is the reference. Both
must give the same `Pairs` (the same lists, the same types, floats to the bit, the same None for a batch they
do not look at) and call ``dates`` with the same keys, whatever the batch: many peers of valid pairs, pairs
broken every way (checksums, fields, numbers at the edge of their range, long fields, repeats, cut lines),
hostile bytes. Without the extension built (no C compiler) the comparisons are skipped.
"""

from __future__ import annotations

import dataclasses
import gc
import math
import os
import struct
import sys
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from devices.checksum import append
from devices.nmea import encode
from devices.nmea import pairs as pairs_module
from devices.nmea.fast import KNOT
from devices.nmea.native import cpairs
from devices.nmea.pairs import MAX_DIGITS, MIN_LINES, Pairs, _scan_pairs_numpy

needs_c = pytest.mark.skipif(not pairs_module.available(),
                             reason="the compiled pair parse (devices/nmea/_cpairs.c) is not built: pip install -e .")
T0 = 1764158400.0  # 2025-11-26 12:00 UTC
DAY_261125 = 1764115200  # 2025-11-26 00:00 UTC


def native(lines: Any, peers: Any, dates: Any) -> Pairs | None:
    """`scan_pairs` through the C module (whatever CONSOLE_PURE_PYTHON says)."""
    from devices.nmea import _cpairs  # type: ignore[attr-defined]

    return pairs_module._pairs_of(_cpairs.scan_pairs(lines, peers, dates))


def same_value(a: Any, b: Any) -> bool:
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return struct.pack("<d", a) == struct.pack("<d", b)
    return bool(a == b)


def assert_same(want: Pairs | None, got: Pairs | None) -> None:
    assert (want is None) == (got is None), (want, got)
    if want is None or got is None:
        return
    for f in dataclasses.fields(Pairs):
        a, b = getattr(want, f.name), getattr(got, f.name)
        if f.name == "peer":
            assert (a is None) == (b is None), f.name
            if a is not None:
                assert b.dtype == np.int64 and a.shape == b.shape and (a == b).all(), f.name
        elif isinstance(a, list):
            assert type(b) is list and len(a) == len(b), f.name
            bad = [(i, x, y) for i, (x, y) in enumerate(zip(a, b, strict=True)) if not same_value(x, y)]
            assert not bad, (f.name, bad[:5])
        else:
            assert same_value(a, b), (f.name, a, b)


class Dates:
    """A ``dates`` callback that knows some dates (per peer), logs its calls and answers in ints of some type."""

    KNOWN = {"261125": DAY_261125, "271125": DAY_261125 + 86400, "010170": 0, "311269": -86400,
             "290200": 951782400, "999999": 10 ** 12}

    def __init__(self, kind: type = int) -> None:
        self.calls: list[tuple[list[int], list[str]]] = []
        self.kind = kind

    def __call__(self, peers: list[int], texts: list[str]) -> list[Any]:
        self.calls.append((list(peers), list(texts)))
        out: list[Any] = []
        for p, t in zip(peers, texts, strict=True):
            day = self.KNOWN.get(t)
            if day is None or (t == "271125" and p % 3 == 2):  # (a date one stream has not seen)
                out.append(None)
            else:
                out.append(self.kind(day))
        return out


def compare(lines: list[str], peers: Any, kind: type = int) -> Pairs | None:
    """Both parses of one batch; returns the compiled one's result."""
    d_numpy, d_c = Dates(kind), Dates(kind)
    want = _scan_pairs_numpy(lines, peers, d_numpy)
    got = native(lines, peers, d_c)
    assert_same(want, got)
    assert d_numpy.calls == d_c.calls
    assert len(d_c.calls) <= 1
    return got


# ------------------------------------------------------------------ generated batches
NUMBERS = ["", "0", "00", "1", "7", "12", "99", "100", "-1", "-0", "-0.0", "-.5", ".5", "5.", ".", "-", "--1", "1.2.3",
           "1e5", " 1", "1 ", "+1", "x", "*", "$", "12.50", "0.80", "86.4", "5.054", "0.000000000000001",
           "9" * MAX_DIGITS, "9" * (MAX_DIGITS + 1), "1" * (MAX_DIGITS + 2), "1" * (MAX_DIGITS + 3), "1" * 40,
           "12345678901234.5", "1234567890123.45", "-1234567890123.45", "123456789012345.", ".123456789012345",
           "1234567890123456.", "-99999999999999.9", "0" * 17, "01", "1.", "-5-"]
COORDS = ["2419.58400", "10925.68600", "9000.0", "9000.00001", "8959.99999999", "18000.0", "18000.0000001",
          "17959.9999999999", "0000.0", "000.0", "00.0", "0.0", "123.4", "12.34", "1234.", ".1234", "1234", "2475.5",
          "09959.99999", "4.5e1", "-2419.5", "2419.5.", "000000000000.001", "0000000000000.001", "1234567890.12345",
          "12345678901.2345", "2419,58400", "", "2419.58400 ", "241958400.0", "1.0000000000001", "100.000000000001"]
TIMES = ["112000", "112000.00", "112000.5", "235959", "235959.99999999", "235959.999999999", "240000", "236000",
         "235960", "000000.123456789", "000000.12345678", "000000.", "0000001", "11200", "1120000.0", "11:200",
         "112000.0.0", "112000.-1", "1120a0", "112000.00000000", "", "112000.x", "-12000", "112000.0000000000"]
DATES = ["261125", "271125", "010100", "010170", "311269", "290200", "999999", "2611255", "26112", "26.125",
         "-61125", "000000", "", "26112x", " 61125"]
TALKERS = ["GN", "GN", "GN", "GP", "GL", "PG", "P1", "G", "GNX", "\x00\x01", ",,", "$$"]
KINDS = ["GGA", "RMC", "RMB", "GGB", "gga", "GLL"]


def fmt_time(t: float, decimals: int) -> str:
    s = int(t) % 86400
    base = f"{s // 3600:02d}{s // 60 % 60:02d}{s % 60:02d}"
    return base if decimals == 0 else base + f"{t % 1:.{decimals}f}"[1:]


@st.composite
def epoch(draw: Any, t: float) -> list[str]:
    """The RMC and GGA of one receiver second, usually plain, sometimes broken somewhere."""
    tt = fmt_time(t, draw(st.sampled_from([0, 2, 2, 3, 1, 8])))
    lat = f"{draw(st.integers(0, 89)):02d}{draw(st.integers(0, 59)):02d}.{draw(st.integers(0, 99999)):05d}"
    lon = f"{draw(st.integers(0, 179)):03d}{draw(st.integers(0, 59)):02d}.{draw(st.integers(0, 999999)):06d}"
    ns, ew = draw(st.sampled_from("NNS")), draw(st.sampled_from("EEW"))
    g = [tt, lat, ns, lon, ew, draw(st.sampled_from(["1", "2", "4", "1"])), draw(st.sampled_from(["08", "12", "", "5"])),
         draw(st.sampled_from(["0.80", "1.2", "", "99.99", "0.5"])), draw(st.sampled_from(["86.4", "-3.0", "", "1234.5", "0"])),
         "M", "", "M", "", ""]
    r = [tt, "A", lat, ns, lon, ew, draw(st.sampled_from(["5.054", "0.000", "", "123.456", "0.1"])),
         draw(st.sampled_from(["12.50", "", "359.99", "0.0"])), draw(st.sampled_from(["261125"] * 4 + ["271125", "010170",
                                                                                               "311269", "010100"])),
         "", "", "A"]
    talker = [draw(st.sampled_from(TALKERS)) if draw(st.integers(0, 15)) == 0 else "GN"] * 2
    kinds = ["GGA", "RMC"]
    for _ in range(draw(st.sampled_from([0, 0, 0, 1, 1, 2, 3]))):  # broken fields
        which = draw(st.integers(0, 1))
        fields = (g, r)[which]
        k = draw(st.integers(0, len(fields) - 1))
        pool = draw(st.sampled_from([NUMBERS, COORDS, TIMES, DATES, ["A", "V", "N", "S", "E", "W", "NN", "", "a"]]))
        choice = draw(st.sampled_from(pool))
        if k == 0 and draw(st.booleans()):  # the same odd time in both halves
            g[0] = r[0] = choice
        elif which == 0 and k in (1, 3) and draw(st.booleans()):  # the same odd coordinate in both
            g[k] = r[k + 1] = choice
        else:
            fields[k] = choice
    if draw(st.integers(0, 20)) == 0:
        talker[draw(st.integers(0, 1))] = draw(st.sampled_from(TALKERS))
    if draw(st.integers(0, 20)) == 0:
        kinds[draw(st.integers(0, 1))] = draw(st.sampled_from(KINDS))
    if draw(st.integers(0, 20)) == 0:  # a field more or less
        fields = (g, r)[draw(st.integers(0, 1))]
        k = draw(st.integers(0, len(fields) - 1))
        if draw(st.booleans()):
            del fields[k]
        else:
            fields.insert(k, draw(st.sampled_from(["", "1", "x"])))
    gga = append(talker[0] + kinds[0] + "," + ",".join(g))
    rmc = append(talker[1] + kinds[1] + "," + ",".join(r))
    out = [gga, rmc] if draw(st.booleans()) else [rmc, gga]
    if draw(st.integers(0, 15)) == 0:  # a damaged line
        k = draw(st.integers(0, 1))
        how = draw(st.integers(0, 7))
        line = out[k]
        out[k] = [line[:-2] + "00", line[:-2] + line[-2:].lower(), line + " ", line[1:], line[:6] + ";" + line[7:],
                  line[: draw(st.integers(0, len(line)))], "!" + line[1:], line.replace("*", "")][how]
    if draw(st.integers(0, 25)) == 0:  # three in a row, or a filler between
        out.insert(draw(st.integers(0, 2)), draw(st.sampled_from([out[0], out[1], append("GPGSV,1,1,01,05,45,185,25")])))
    return out


@st.composite
def batch(draw: Any) -> tuple[list[str], list[int]]:
    npeers = draw(st.integers(1, 12))
    seconds = draw(st.integers(1, 6))
    queues: list[list[tuple[int, list[str]]]] = []
    for p in range(npeers):
        t = T0 + draw(st.integers(0, 86399)) + draw(st.sampled_from([0.0, 0.5, 0.25, 0.125]))
        queues.append([(p, draw(epoch(t + s))) for s in range(seconds)])
    lines: list[str] = []
    peers: list[int] = []
    while any(queues):
        q = draw(st.sampled_from([q for q in queues if q]))
        p, e = q.pop(0)
        if len(e) > 1 and draw(st.integers(0, 12)) == 0 and any(queues):  # another peer's line in between
            other = draw(st.sampled_from([q for q in queues if q]))
            op, oe = other[0]
            e = [e[0], oe[0], *e[1:]]
            pe = [p, op] + [p] * (len(e) - 2)
            if len(oe) > 1:
                other[0] = (op, oe[1:])
            else:
                other.pop(0)
        else:
            pe = [p] * len(e)
        lines += e
        peers += pe
    if draw(st.integers(0, 5)) == 0:  # the batch's last line cut short
        lines[-1] = lines[-1][: draw(st.integers(0, len(lines[-1])))]
    if draw(st.integers(0, 10)) == 0:
        k = draw(st.integers(0, len(lines) - 1))
        lines[k] = draw(st.sampled_from(["", "$", "*", "$GNRMC,", "$GNGGA,*00", "$PGRMC,1*00", ",,,,,,,,,,,*00"]))
    while len(lines) < MIN_LINES and draw(st.integers(0, 9)):  # (mostly long enough to be looked at)
        lines.append(append("GPGSV,1,1,01,05,45,185,25"))
        peers.append(draw(st.integers(0, npeers - 1)))
    numbers = {p: i for i, p in enumerate(dict.fromkeys(peers))}  # numbered by first appearance
    return lines, [numbers[p] for p in peers]


@needs_c
@settings(max_examples=300, deadline=None)
@given(batch(), st.sampled_from(["array", "list", "tuple"]))
def test_generated_batches_parse_the_same_in_c_and_numpy(b: tuple[list[str], list[int]], form: str) -> None:
    lines, peers = b
    arg: Any = {"array": lambda: np.array(peers, dtype=np.int64), "list": lambda: peers,
                "tuple": lambda: tuple(peers)}[form]()
    compare(lines, arg)


# hostile lines: random bodies, most with a valid checksum, some behind the head of a position line
BODY = st.text(alphabet="0123456789.,-*$NSEWAMV GPRC\x00\x7f", max_size=90)


@needs_c
@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["", "GNGGA,112000", "GNRMC,112000", "GNGGA,", "GNRMC,", "PGRMC,"]), BODY,
                          st.booleans()), min_size=MIN_LINES, max_size=80), st.integers(1, 3))
def test_hostile_lines_parse_the_same_in_c_and_numpy(items: list[tuple[str, str, bool]], npeers: int) -> None:
    lines = [append(head + body) if checksum else "$" + head + body for head, body, checksum in items]
    peers = [min(i % (npeers + 1), npeers - 1) for i in range(len(lines))]
    numbers = {p: i for i, p in enumerate(dict.fromkeys(peers))}
    compare(lines, [numbers[p] for p in peers])


def fleet(units: int, seconds: int, decimals: int = 5) -> tuple[list[str], np.ndarray]:
    lines, peers = [], []
    for s in range(seconds):
        t = T0 + s + 0.25 * (s % 4)
        for u in range(units):
            lat, lon = 24.3 + u * 1e-4 + s * 1.3e-5 * (u % 7), 109.4 - u * 1e-4 - s * 1.1e-5 * (u % 5)
            lines.append(encode.rmc("GN", t, lat, lon, 0.1 * ((u + s) % 170), (u * 7 + s * 3) % 360 + 0.25,
                                    decimals=decimals))
            lines.append(encode.gga("GN", t, lat, lon, 80.0 - u % 50 + 0.1 * (s % 9), sats=4 + (u + s) % 9,
                                    hdop=0.5 + ((u + s) % 40) * 0.05, decimals=decimals))
            peers += [u, u]
    return lines, np.array(peers, dtype=np.int64)


@needs_c
@pytest.mark.parametrize("decimals", [1, 5, 8, 11, 12])
def test_a_fleets_batch_is_taken_whole_the_same(decimals: int) -> None:
    lines, peers = fleet(300, 4, decimals)
    got = compare(lines, peers)
    assert got is not None
    if decimals <= 10:  # (longitudes of 5 + 11 digits are over MAX_DIGITS: left to the decoder)
        assert got.peer is not None and got.peer.flags.writeable and got.peer.dtype == np.int64
        assert len(got.index) == 1200 and not got.other and got.one_talker and got.talker[0] == "GN"
        assert got.time[0] == T0 and got.day[0] == DAY_261125 and got.lo[:2] == [0, 4] and got.hi[:2] == [4, 8]
        assert got.index[:4] == [0, 600, 1200, 1800] and got.peer[:5].tolist() == [0, 0, 0, 0, 1]
    else:
        assert not got.index and len(got.other) == len(lines) and got.peer is None


def edge_pair(second: int, lon: str = "17959.99999999") -> list[str]:
    """A pair whose every number is at the edge of what the scan takes (the coordinates' text: 32 characters)."""
    t = f"2359{second:02d}.12345678"
    g = append(f"GNGGA,{t},8959.99999999,S,{lon},W,2,99,99.99,-0.0,M,,M,,")
    r = append(f"GNRMC,{t},A,8959.99999999,S,{lon},W,0.00000000000001,.5,261125,,,A")
    return [g, r] if second % 2 else [r, g]


@needs_c
def test_values_are_those_of_float_of_the_text() -> None:
    lines = [line for s in range(24) for line in edge_pair(s)]
    got = compare(lines, [0] * len(lines))
    assert got is not None and len(got.index) == 24
    lat = -(89 + float("59.99999999") / 60)
    lon = -(179 + float("59.99999999") / 60)
    assert struct.pack("<d", got.lat[0]) == struct.pack("<d", lat) and got.lon[0] == lon
    assert math.copysign(1, got.alt[0]) == -1 and got.alt[0] == 0.0
    assert got.speed[0] == float("0.00000000000001") * KNOT and got.course[0] == 0.5 and got.hdop[0] == 99.99
    assert got.tod[0] == 86340 * 1_000_000 + 123456 and got.quality[0] == 2 and got.sats[0] == 99
    assert got.time[0] == (DAY_261125 * 1_000_000 + got.tod[0]) / 1_000_000
    longer = [line for s in range(24) for line in edge_pair(s, "17959.999999999")]  # 33: never the same text
    got = compare(longer, [0] * len(longer))
    assert got is not None and not got.index


def test_a_long_time_field_gives_no_numpy_warning() -> None:
    # (the numpy scan computed every row's fraction, a 17-digit one too: its cast overflowed with a RuntimeWarning)
    t = "112000" + "9" * 17
    g = append(f"GNGGA,{t},2419.58400,N,10925.68600,E,1,12,0.80,86.4,M,,M,,")
    r = append(f"GNRMC,{t},A,2419.58400,N,10925.68600,E,5.054,12.50,261125,,,A")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = _scan_pairs_numpy([g, r] * 12, [0] * 24, Dates())
    assert got is not None and not got.index
    if pairs_module.available():
        compare([g, r] * 12, [0] * 24)


# ------------------------------------------------------------------ the batches the scan does not look at, errors
@needs_c
def test_short_non_ascii_and_empty_batches_are_none_in_both() -> None:
    lines, peers = fleet(20, 1)
    compare(lines[: MIN_LINES - 1], peers[: MIN_LINES - 1])
    assert native(lines[: MIN_LINES - 1], peers[: MIN_LINES - 1], Dates()) is None
    assert native([*lines[:-1], "$GPTXT,ü*00"], peers, Dates()) is None
    assert native([""] * 30, [0] * 30, Dates()) is None  # (under 16 characters in all)
    assert native(["$G"] * 30, [0] * 30, Dates()) is not None
    assert native(lines[:10], "not peers", Dates()) is None  # a short batch, whatever the peers
    assert native([*lines[:-1], "é"], [-1] * len(lines), Dates()) is None
    compare(["x" * 5] * 30, [0] * 30)


@needs_c
def test_every_form_of_peers_gives_the_same() -> None:
    lines, peers = fleet(30, 2)
    want = native(lines, peers, Dates())
    wide = np.zeros(2 * len(peers), dtype=np.int64)
    wide[::2] = peers
    for form in (peers.tolist(), tuple(peers.tolist()), peers.astype(np.int32), peers.astype(np.uint8),
                 wide[::2], memoryview(peers), [np.int64(p) for p in peers]):
        assert_same(want, native(lines, form, Dates()))
    assert_same(want, native(tuple(lines), peers, Dates()))

    class Line(str):
        pass

    assert_same(want, native([Line(line) for line in lines], peers, Dates()))


@needs_c
def test_bad_arguments_raise_and_leave_nothing_behind() -> None:
    lines, peers = fleet(20, 2)

    def boom(ks: list[int], ts: list[str]) -> list[int]:
        raise RuntimeError("boom")

    with pytest.raises(TypeError):
        native([*lines[:-1], 5], peers, Dates())
    with pytest.raises(ValueError):
        native(lines, peers[:-1], Dates())
    with pytest.raises(ValueError):
        native(lines, peers[:-1].tolist(), Dates())
    with pytest.raises(ValueError):
        native(lines, [-1] * len(lines), Dates())
    with pytest.raises(ValueError):  # (streams are numbered by first appearance: never n or more)
        native(lines, [0] * (len(lines) - 1) + [2 ** 62], Dates())
    with pytest.raises(TypeError):
        native(lines, ["x"] * len(lines), Dates())
    with pytest.raises(RuntimeError):
        native(lines, peers, boom)
    with pytest.raises(ValueError):
        native(lines, peers, lambda ks, ts: [])
    with pytest.raises(TypeError):
        native(lines, peers, lambda ks, ts: ["x"] * len(ks))
    with pytest.raises(TypeError):
        native(lines, peers, lambda ks, ts: 5)
    with pytest.raises(TypeError):
        native(iter(lines), peers, Dates())


@needs_c
def test_the_days_the_callback_gives_may_be_any_ints() -> None:
    lines, peers = fleet(10, 3)
    for kind in (np.int64, np.int32, int):
        compare(lines, peers, kind)


def rss_kb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


@needs_c
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/status")
def test_ten_thousand_calls_leak_nothing() -> None:
    lines, peers = fleet(20, 2)
    bad = [*lines, *lines[:3]]  # (an extra repeat and a line left over)
    bad_peers = np.concatenate([peers, peers[:3]])
    day = 10 ** 30 // 10 ** 21  # (an int object of its own, whose count we watch)
    days = lambda ks, ts: [day] * len(ks)  # noqa: E731

    def round_() -> None:
        native(lines, peers, days)
        native(bad, bad_peers.tolist(), Dates())
        native([*lines[:-1], "ü"], peers, days)
        try:
            native(lines, peers, lambda ks, ts: [None, "x"] * len(ks))
        except (TypeError, ValueError):
            pass

    for _ in range(200):
        round_()
    gc.collect()
    first = lines[0]
    before, refs = rss_kb(), (sys.getrefcount(day), sys.getrefcount(first))
    for _ in range(10_000):
        round_()
    gc.collect()
    after = (sys.getrefcount(day), sys.getrefcount(first))  # (not inside the assert: pytest holds its operands)
    assert after == refs
    assert rss_kb() - before < 2_000, "resident memory grew over 10,000 calls"


# ------------------------------------------------------------------ the switch
@pytest.mark.skipif(os.environ.get("CONSOLE_NATIVE_REQUIRED") != "1",
                    reason="only where the compiled parts must be built (CONSOLE_NATIVE_REQUIRED=1, CI)")
def test_the_compiled_pair_parse_is_built_where_required() -> None:
    assert pairs_module.available(), "devices/nmea/_cpairs.c is not built: pip install -e . (is a C compiler there?)"


def test_console_pure_python_forces_the_numpy_parse(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONSOLE_PURE_PYTHON", "1")
    assert cpairs() is None
    called = []
    monkeypatch.setattr(pairs_module, "_scan_pairs_numpy", lambda *a: called.append(a) or None)
    assert pairs_module.scan_pairs(["x"] * 30, [0] * 30, Dates()) is None and called
    monkeypatch.setenv("CONSOLE_PURE_PYTHON", "0")
    assert (cpairs() is not None) == pairs_module.available()
