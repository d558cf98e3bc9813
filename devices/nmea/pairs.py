"""Whole-batch parse of the common RMC+GGA epoch: every receiver of a drained batch at once, in C or numpy.

A feed of thousands of receivers drains batches in which nearly every line is one half of an
epoch's RMC+GGA pair, the two halves next to each other. `scan_pairs` finds those pairs and
parses them for the whole batch at once, where `devices.nmea.fast.pair_fix` parses one pair at
a time in Python.

It takes only what it can parse to exactly `pair_fix`'s result: two adjacent lines of one
peer, checksum-clean, same talker, an RMC and a GGA with the same time text and coordinate
text, a valid RMC ('A') with a date the stream has already seen, a GGA with a fix, every field
in its plain form (ASCII digits, one decimal point, a minus only before the altitude). The
floats are the same to the bit: a decimal of at most 15 digits is an integer below 2**53 divided
by a power of ten, both exact, so the one IEEE division rounds as ``float(text)`` does.

A pair counts only while its peer has had nothing else in the batch before it (a *prefix*):
the first line of a peer that is not such a pair, and everything of that peer after it, is
left to the sentence-by-sentence decoder in order, which keeps each stream's state changes and
records in their order.

Two implementations give the same `Pairs`, the same lists of the same types, floats to the bit,
and call ``dates`` with the same keys: the compiled one (``devices/nmea/_cpairs.c``: one pass over
the lines, some 0.1 µs a line; `pip install` builds it where there is a C compiler) and
`_scan_pairs_numpy` (a few dozen whole-array operations, about 1 µs a line), the reference and
the path when the extension is not built or ``CONSOLE_PURE_PYTHON=1`` (`devices.nmea.native`).
tests/devices/test_pairs_native.py holds the two to each other.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from devices.nmea.fast import KNOT, line_xors
from devices.nmea.native import built, cpairs

_HEXVAL = np.full(256, -4096, dtype=np.int32)
for _i, _c in enumerate(b"0123456789ABCDEF"):
    _HEXVAL[_c] = _i
_STAR, _DOLLAR, _P, _COMMA, _DOT, _MINUS = (ord(c) for c in "*$P,.-")
_RMC = np.uint64(ord("R") | (ord("M") << 8) | (ord("C") << 16))  # characters 3-5 of a line, little-endian
_GGA = np.uint64(ord("G") | (ord("G") << 8) | (ord("A") << 16))
_TALKER_AND_H = np.uint64(0xFF00_0000_00FF_FF00)  # characters 1, 2 and 7 of the first word
_HMMSS = np.uint64(0xFF_FFFF_FFFF)  # characters 8-12: the rest of hhmmss
_P10 = np.array([10.0 ** k for k in range(23)])
MAX_DIGITS = 15  # every decimal of at most 15 digits is exact as an integer mantissa in a float64
_COLS = np.arange(32)
MIN_LINES = 24  # below this, numpy's per-call overhead costs more than the per-line parse


@dataclass(slots=True)
class Pairs:
    """The pairs `scan_pairs` parsed, grouped by peer in the order peers are numbered, each peer's in line order.

    ``index``: each pair's first line. Columns are plain lists; ``speed``/``course``/``alt``/``hdop``/``sats`` hold None where the
    field was empty. ``other`` lists the lines no pair took; ``ok`` is every line's
    checksum flag (as `devices.nmea.fast.checksum_flags`), for the decoder of the other lines.
    """

    index: list[int]
    talker: list[str]
    time: list[float]
    tod: list[int]
    day: list[int]
    lat: list[float]
    lon: list[float]
    speed: list[float | None]
    course: list[float | None]
    alt: list[float | None]
    quality: list[int]
    hdop: list[float | None]
    sats: list[int | None]
    other: list[int]  # the lines not taken by a pair, in order
    ok: list[bool]
    lo: list[int]  # per peer number: where its pairs begin in the columns (they are sorted by peer, then line)
    hi: list[int]  # ... and end
    peer: np.ndarray | None = None  # each pair's peer number
    one_talker: bool = True  # every pair has the same talker
    earliest: float = 0.0  # the smallest time


def _masks(w: int) -> np.ndarray:
    """For each length 0..w: w bytes, the first `length` of them 0xFF, as w/8 machine words."""
    m = np.zeros((w + 1, w), dtype=np.uint8)
    for n in range(w + 1):
        m[n, :n] = 0xFF
    return m.view(np.uint64)


_WORDS = 32
_MASK = _masks(_WORDS)


def _text_eq(win: np.ndarray, s1: np.ndarray, e1: np.ndarray, s2: np.ndarray, e2: np.ndarray) -> np.ndarray:
    """Whether fields [s1:e1] and [s2:e2] hold the same text (fields over 32 characters never do).

    ``win``: every 32-character window of the batch's bytes (`_windows`).
    """
    n1 = e1 - s1
    same = (n1 == e2 - s2) & (n1 <= _WORDS)
    a = win[s1].view(np.uint64)  # (rows, 4): 32 characters as four words
    c = win[s2].view(np.uint64)
    return same & ~((a ^ c) & _MASK[np.minimum(n1, _WORDS)]).any(axis=1)


def _windows(b: np.ndarray) -> np.ndarray:
    """Every 32-byte window of ``b`` (padded with zeros past its end): rows gathered by start."""
    padded = np.zeros(len(b) + _WORDS, dtype=np.uint8)
    padded[: len(b)] = b
    return np.lib.stride_tricks.sliding_window_view(padded, _WORDS)[: len(b) + 1]


def _decimal(win: np.ndarray, s: np.ndarray, e: np.ndarray, *, signed: bool = False,
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Fields b[s:e] as plain decimals (``ddd``, ``ddd.ddd``, ``.ddd``, ``ddd.``; a leading ``-`` if ``signed``).

    Returns (mantissa: every digit as one integer, digits after the point, sign -1/1, ok, has a point). ``ok``
    is False for anything else: no digit, a second point, another character, over MAX_DIGITS digits.
    An empty field is not ok (the caller tells empty apart).
    """
    n = e - s
    w = int(n.max()) if len(n) else 0
    w = min(w, MAX_DIGITS + 2)
    m = np.zeros(len(s), dtype=np.int64)
    digits = np.zeros(len(s), dtype=np.int64)
    dots = np.zeros(len(s), dtype=np.int64)
    after = np.zeros(len(s), dtype=np.int64)
    bad = n > w
    neg = np.zeros(len(s), dtype=bool)
    g = win[s, :w]
    for j in range(w):
        inside = j < n
        ch = g[:, j]
        d = ch - np.uint8(48)  # (wraps round: only digits are 0-9)
        is_digit = inside & (d <= 9)
        is_dot = inside & (ch == _DOT)
        is_minus = inside & (ch == _MINUS) & (j == 0) if signed else np.zeros(len(s), dtype=bool)
        bad |= inside & ~(is_digit | is_dot | is_minus)
        m = np.where(is_digit, m * 10 + d, m)
        digits += is_digit
        after += is_digit & (dots > 0)
        dots += is_dot
        neg |= is_minus
    ok = ~bad & (dots <= 1) & (digits >= 1) & (digits <= MAX_DIGITS)
    return m, after, np.where(neg, -1.0, 1.0), ok, dots > 0


def _value(m: np.ndarray, after: np.ndarray, sign: np.ndarray) -> np.ndarray:
    return sign * (m / _P10[np.minimum(after, 22)])


def _optional(win: np.ndarray, s: np.ndarray, e: np.ndarray, *, signed: bool = False,
              scale: float | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """An optional decimal field: (its values, where it is empty, ok: empty or a plain decimal)."""
    m, after, sign, ok, _point = _decimal(win, s, e, signed=signed)
    empty = e == s
    v = _value(m, after, sign)
    if scale is not None:
        v = v * scale
    return v, empty, ok | empty


def _maybe(v: np.ndarray, empty: np.ndarray) -> list[Any]:
    """``v`` as a list, None where ``empty``."""
    return np.where(empty, None, v).tolist() if empty.any() else v.tolist()


def available() -> bool:
    """True when the compiled `scan_pairs` is built (whether or not CONSOLE_PURE_PYTHON switches it off)."""
    return built("_cpairs") is not None


def scan_pairs(lines: Sequence[str], peers: Sequence[int] | np.ndarray,
               dates: Callable[[list[int], list[str]], list[int | None]]) -> Pairs | None:
    """Find and parse the RMC+GGA pairs of a batch (see the module's docstring).

    ``peers``: each line's stream, numbered 0, 1, ... in order of first appearance. ``dates(peers, ddmmyys)``: for each (peer,
    date text), the day (epoch seconds of 00:00 UTC) that stream's state already knows for it, or None; it is called
    once, with the unique (peer, date) keys in order, and only when some pair passed every other test. Returns
    None for a batch it does not look at (short, or not all ASCII): the caller decodes it as usual.
    Changes no state: the caller sets each stream's date and time from its last pair.

    :raises ValueError: (compiled path) a peer number outside 0..len(lines)-1, or not one per line.
    :raises TypeError: a line that is not a str, a day that is neither an int nor None.
    """
    c = cpairs()
    if c is None:
        return _scan_pairs_numpy(lines, peers, dates)
    return _pairs_of(c.scan_pairs(lines, peers, dates))


def _pairs_of(t: tuple[Any, ...] | None) -> Pairs | None:
    """The compiled scan's result as `Pairs`: its fields in order, ``peer`` as a bytearray of int64."""
    if t is None:
        return None
    fields = list(t)
    if fields[17] is not None:
        fields[17] = np.frombuffer(fields[17], dtype=np.int64)  # (writable, as the bytearray is)
    return Pairs(*fields)


def _scan_pairs_numpy(lines: Sequence[str], peers: Sequence[int] | np.ndarray,
                      dates: Callable[[list[int], list[str]], list[int | None]]) -> Pairs | None:
    """`scan_pairs` in numpy: the reference of the compiled one, and the path without it."""
    n = len(lines)
    if n < MIN_LINES:
        return None
    joined = "".join(lines)
    if not joined.isascii():
        return None
    b = np.frombuffer(joined.encode("ascii"), dtype=np.uint8)
    if len(b) < 16:
        return None
    last = len(b) - 1
    lens, starts, ends, body = line_xors(b, lines)  # checksums, as devices.nmea.fast.scan_batch
    e1 = np.clip(ends - 1, 0, last)
    okv = (lens >= 6) & (b[np.clip(ends - 3, 0, last)] == _STAR) & (_HEXVAL[b[e1 - 1]] * 16 + _HEXVAL[b[e1]] == body)
    ok = okv.tolist()
    pid = np.asarray(peers, dtype=np.int64)
    npeer = int(pid.max()) + 1

    def empty() -> Pairs:
        return Pairs([], [], [], [], [], [], [], [], [], [], [], [], [], list(range(n)), ok, [0] * npeer, [0] * npeer)

    # the first 16 characters of each line as two little-endian words: "$ttKKK,h" and "hmmss..."
    win = _windows(b)
    head = win[starts, :16].view("<u8")
    w0 = np.ascontiguousarray(head[:, 0])
    w1 = np.ascontiguousarray(head[:, 1])
    kind = (w0 >> np.uint64(24)) & np.uint64(0xFFFFFF)
    rmc = kind == _RMC
    pos = okv & (lens >= 20) & ((w0 & np.uint64(0xFF)) == _DOLLAR) & (((w0 >> np.uint64(8)) & np.uint64(0xFF)) != _P) & (
        ((w0 >> np.uint64(48)) & np.uint64(0xFF)) == _COMMA) & (rmc | (kind == _GGA))
    # a pair: two position lines of one peer, talker and second, one of each kind, next to each other
    same = (((w0[:-1] ^ w0[1:]) & _TALKER_AND_H) == 0) & (((w1[:-1] ^ w1[1:]) & _HMMSS) == 0)
    cand = pos[:-1] & pos[1:] & (pid[:-1] == pid[1:]) & (rmc[:-1] != rmc[1:]) & same
    # a line that could pair both ways (a repeated sentence) is left to the decoder
    cand[1:] &= ~cand[:-1]  # (numpy reads the operands before writing: the first of three keeps its pair)
    first = np.flatnonzero(cand)
    if not len(first):
        return empty()
    r_line = np.where(rmc[first], first, first + 1)
    g_line = np.where(rmc[first], first + 1, first)
    commas = np.flatnonzero(b == _COMMA)
    nc = len(commas)

    def fields(line: np.ndarray, count: int) -> tuple[list[np.ndarray], np.ndarray]:
        c0 = np.searchsorted(commas, starts[line] + 6)  # the comma after the sentence type
        need = np.minimum(c0 + count, nc - 1)
        good = (c0 + count < nc) & (commas[need] < ends[line] - 3)
        cs = commas[np.minimum(c0[:, None] + _COLS[: count + 1], nc - 1)].T  # (comma k, pair)
        return list(cs), good

    rc, r_ok = fields(r_line, 9)  # RMC: time, status, lat, N/S, lon, E/W, knots, course, date
    gc, g_ok = fields(g_line, 9)  # GGA: time, lat, N/S, lon, E/W, quality, sats, hdop, alt
    keep = r_ok & g_ok

    def f(cs: list[np.ndarray], k: int) -> tuple[np.ndarray, np.ndarray]:
        return cs[k] + 1, cs[k + 1]

    # the same time and coordinate text in both; a valid RMC; hemispheres
    keep &= _text_eq(win, *f(rc, 0), *f(gc, 0))
    keep &= _text_eq(win, rc[2] + 1, rc[6], gc[1] + 1, gc[5])  # lat, N/S, lon, E/W: three commas in each
    rs1, re1 = f(rc, 1)
    keep &= (re1 - rs1 == 1) & (b[np.minimum(rs1, last)] == ord("A"))
    ns_s, ns_e = f(gc, 2)
    ew_s, ew_e = f(gc, 4)
    ns = b[np.minimum(ns_s, last)]
    ew = b[np.minimum(ew_s, last)]
    keep &= (ns_e - ns_s == 1) & ((ns == ord("N")) | (ns == ord("S")))
    keep &= (ew_e - ew_s == 1) & ((ew == ord("E")) | (ew == ord("W")))
    # time of day: hhmmss, or hhmmss.f+ (1-8 fraction digits)
    ts, te = f(gc, 0)
    tl = te - ts
    keep &= (tl == 6) | ((tl >= 8) & (tl <= 15) & (b[np.minimum(ts + 6, last)] == _DOT))
    hms = np.zeros(len(first), dtype=np.int64)
    tw = win[ts, :6].astype(np.int64) - 48
    keep &= ((tw >= 0) & (tw <= 9)).all(axis=1)
    for j in range(6):
        hms = hms * 10 + tw[:, j]
    hh, mm, ss = hms // 10000, hms // 100 % 100, hms % 100
    keep &= (hh <= 23) & (mm <= 59) & (ss <= 59)
    has_frac = tl > 6
    fm, fd, _sign, fok, _point = _decimal(win, ts + 6, np.maximum(te, ts + 6))  # ".f+": digits after the point only
    frac_ok = has_frac & fok & (fd == tl - 7)
    keep &= ~has_frac | frac_ok
    # (only where the fraction is plain: a long digit run elsewhere would overflow the cast with a RuntimeWarning)
    frac_us = np.where(frac_ok, np.trunc(np.where(frac_ok, fm, 0) / _P10[np.minimum(fd, 22)] * 1000000), 0
                       ).astype(np.int64)
    keep &= (frac_us >= 0) & (frac_us < 1_000_000)
    tod = ((hh * 60 + mm) * 60 + ss) * 1_000_000 + frac_us
    # coordinates: d+mm.m+ both
    lat = lon = np.zeros(0)
    for k, limit in ((1, 90.0), (3, 180.0)):
        cs, ce = f(gc, k)
        m, after, _sign, cok, _point = _decimal(win, cs, ce)
        dot_at = ce - cs - after - 1  # index of the point in the text
        cok &= (after >= 1) & (dot_at >= 3)
        p = _P10[np.minimum(after + 2, 22)]
        deg = np.floor_divide(m, p.astype(np.int64))
        minutes = m - deg * p.astype(np.int64)
        v = deg + (minutes / _P10[np.minimum(after, 22)]) / 60
        cok &= v <= limit
        keep &= cok
        if k == 1:
            lat = np.where(ns == ord("S"), -v, v)
        else:
            lon = np.where(ew == ord("W"), -v, v)
    # quality (1-2 digits, not 0) and satellites (empty or 1-2 digits)
    qs, qe = f(gc, 5)
    qm, _qa, _sign, qok, qpoint = _decimal(win, qs, qe)
    keep &= qok & ~qpoint & (qe - qs <= 2) & (qm != 0)
    sts, ste = f(gc, 6)
    sm, _sa, _sign, sok, spoint = _decimal(win, sts, ste)
    sat_empty = ste == sts
    keep &= sat_empty | (sok & ~spoint & (ste - sts <= 2))
    hdop, hdop_no, hok = _optional(win, *f(gc, 7))
    alt, alt_no, aok = _optional(win, *f(gc, 8), signed=True)
    speed, speed_no, spok = _optional(win, *f(rc, 6), scale=KNOT)
    course, course_no, cok2 = _optional(win, *f(rc, 7))
    keep &= hok & aok & spok & cok2
    ds, de = f(rc, 8)
    dm, _da, _sign, dok, dpoint = _decimal(win, ds, de)
    keep &= dok & ~dpoint & (de - ds == 6)
    # the date must be one the stream has seen: one look-up per stream and date
    pp = pid[first]
    key = pp * 1_000_000 + dm
    sel = np.flatnonzero(keep)
    day = np.zeros(len(first), dtype=np.int64)
    if len(sel):
        uniq, inv = np.unique(key[sel], return_inverse=True)
        text = {c: f"{c:06d}" for c in set((uniq % 1_000_000).tolist())}
        days = dates((uniq // 1_000_000).tolist(), [text[c] for c in (uniq % 1_000_000).tolist()])
        dv = np.array([-1 if d is None else d for d in days], dtype=np.int64)[inv]
        day[sel] = dv
        keep[sel] &= dv >= 0
    # a peer's pairs count up to its first line that is not one (the prefix)
    used = np.zeros(n, dtype=bool)
    used[first[keep]] = True
    used[first[keep] + 1] = True
    other = np.flatnonzero(~used)
    if len(other):
        stop = np.full(int(pid.max()) + 1, n, dtype=np.int64)
        np.minimum.at(stop, pid[other], other)
        keep &= first < stop[pp]
    sel = np.flatnonzero(keep)
    if not len(sel):
        return empty()
    used[:] = False
    used[first[sel]] = True
    used[first[sel] + 1] = True
    sel = sel[np.argsort(pp[sel], kind="stable")]  # by peer (numbered by first appearance), then line
    peer = pp[sel]
    ids = np.arange(npeer)
    t = (day[sel] * 1_000_000 + tod[sel]) / 1_000_000
    lines_used = first[sel]
    talk = (w0[lines_used] >> np.uint64(8)) & np.uint64(0xFFFF)
    one_talker = bool((talk == talk[0]).all())  # (nearly always)
    if one_talker:
        talker = [joined[int(starts[lines_used[0]]) + 1 : int(starts[lines_used[0]]) + 3]] * len(sel)
    else:
        names: dict[int, str] = {}
        talker = [names.get(c) or names.setdefault(c, chr(c & 255) + chr(c >> 8)) for c in talk.tolist()]
    return Pairs(
        index=lines_used.tolist(), talker=talker, time=t.tolist(), tod=tod[sel].tolist(), day=day[sel].tolist(),
        lat=lat[sel].tolist(), lon=lon[sel].tolist(), speed=_maybe(speed[sel], speed_no[sel]),
        course=_maybe(course[sel], course_no[sel]), alt=_maybe(alt[sel], alt_no[sel]), quality=qm[sel].tolist(),
        hdop=_maybe(hdop[sel], hdop_no[sel]), sats=_maybe(sm[sel], sat_empty[sel]), other=np.flatnonzero(~used).tolist(), ok=ok,
        lo=np.searchsorted(peer, ids).tolist(), hi=np.searchsorted(peer, ids, side="right").tolist(),
        peer=peer, one_talker=one_talker, earliest=float(t.min()))
