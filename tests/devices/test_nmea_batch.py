"""Decoder.decode_batch (what the feed multiplexer calls) against decode_line, line by line."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from devices.errors import ChecksumError, UnknownSentenceError
from devices.framing import Decoder
from devices.nmea import bench
from devices.nmea.checksum import append
from devices.nmea.fast import NUMPY_MIN_BATCH, checksum_flags_ascii, merge_fixes, scan_batch
from devices.records import Fix
from tests.devices.helpers import clock, lines
from tests.devices.test_nmea_fast import gga, rmc

LOGS = ["ublox_gn.nmea", "beidou_bd_gb.nmea", "garmin_gp.nmea", "ais_liujiang.nmea"]


def line_by_line(ls: list[str]) -> tuple[list, list, dict]:
    d = Decoder("x", errors="yield", clock=clock)
    recs, errs = [], []
    for i, line in enumerate(ls):
        for r in d.decode_line(line):
            (errs.append((i, type(r))) if isinstance(r, Exception) else recs.append(r))
    return recs, errs, d.counters.as_dict()


def batch(ls: list[str], **kw) -> tuple[list, list, dict]:  # type: ignore[no-untyped-def]
    d = Decoder("x", clock=clock)
    recs, errs = d.decode_batch(ls, **kw)
    return recs, [(i, type(e)) for i, e in errs], d.counters.as_dict()


def merged(recs: list) -> list:
    """The reference merge: an RMC and a GGA of one epoch, nothing but other records between."""
    out: list = []
    pend: Fix | None = None
    for r in recs:
        if isinstance(r, Fix) and r.sentence in ("RMC", "GGA"):
            if pend is not None and pend.sentence != r.sentence and pend.talker == r.talker and \
                    round(pend.time % 86400, 6) == round(r.time % 86400, 6):
                out.append(merge_fixes(r, pend) if r.sentence == "RMC" else merge_fixes(pend, r))
                pend = None
                continue
            if pend is not None:
                out.append(pend)
            pend = r
        else:
            out.append(r)
    if pend is not None:
        out.append(pend)
    return out


def corrupt(ls: list[str]) -> list[str]:
    """Every 5th line with a wrong checksum, every 7th lower-case, every 11th with trailing blanks."""
    out = []
    for i, line in enumerate(ls):
        if i % 5 == 1 and line[-3:-2] == "*":
            line = line[:-1] + ("0" if line[-1] != "0" else "1")
        elif i % 7 == 2:
            line = line.lower()[:1] + line[1:-2] + line[-2:].lower()
        elif i % 11 == 3:
            line += "  "
        out.append(line)
    return out


@pytest.mark.parametrize("name", LOGS + ["bench"])
def test_full_batch_equals_line_by_line(name: str) -> None:
    ls = bench.nmea_stream(40) if name == "bench" else lines(name)
    for stream in (ls, corrupt(ls), ls[:NUMPY_MIN_BATCH - 1]):  # numpy-scanned, corrupted, small
        assert batch(stream) == line_by_line(stream)


@settings(max_examples=60, deadline=None)
@given(st.lists(rmc() | gga() | st.sampled_from(bench.nmea_stream(2)), min_size=1, max_size=40))
def test_batch_equals_line_by_line_and_merge_equals_the_reference(sentences):
    recs, errs, counters = line_by_line(sentences)
    assert batch(sentences) == (recs, errs, counters)
    m_recs, m_errs, _ = batch(sentences, merge=True)
    assert m_recs == merged(recs) and m_errs == errs


def test_lean_batch_counts_every_checksum_error_and_parses_only_positions() -> None:
    ls = corrupt(bench.nmea_stream(30)) + [append("GPTXT,01,01,02,ANTENNA OK"), append("PUBX,00,1")]
    full_recs, full_errs, full_counts = line_by_line(ls)
    d = Decoder("x", clock=clock)
    recs, errs = d.decode_batch(ls, full=False, merge=True)
    assert recs == merged([r for r in full_recs if isinstance(r, Fix)])
    assert [i for i, e in errs if isinstance(e, ChecksumError)] == [i for i, t in full_errs if t is ChecksumError]
    assert [i for i, e in errs if isinstance(e, UnknownSentenceError)] == [len(ls) - 2, len(ls) - 1]
    c = d.counters
    assert c.checksum_errors == full_counts["checksum_errors"] and c.unknown == 2
    assert c.sentences == full_counts["sentences"]
    assert d.nmea.counters.by_type["GSV"] == 90 - sum(1 for i, t in full_errs if t is ChecksumError and
                                                      ls[i][3:6] == "GSV")


def test_numpy_scan_agrees_with_the_python_loop() -> None:
    ls = corrupt(bench.nmea_stream(20)) + ["", "$", "$GPGSV", "*00", "x" * 5, "$GPGSV,1*ZZ", "$PGGSV,1*00"]
    assert len(ls) >= NUMPY_MIN_BATCH and "".join(ls).isascii()  # scanned by numpy as a whole
    ok, rest, counts = scan_batch(ls, {"GSV", "GSA"})
    assert ok == checksum_flags_ascii(ls)
    small_ok, small_rest, small_counts = [], [], {}  # the same lines, scanned a few at a time
    for k in range(0, len(ls), 5):
        o, r, c = scan_batch(ls[k:k + 5], {"GSV", "GSA"})
        small_ok += o
        small_rest += [k + i for i in (r if r is not None else range(len(o)))]
        for kind, n in c.items():
            small_counts[kind] = small_counts.get(kind, 0) + n
    assert (ok, rest, counts) == (small_ok, small_rest, small_counts)
    assert counts["GSV"] > 0 and all(ls[i][3:6] not in ("GSV", "GSA") or not ok[i] or ls[i][1] == "P"
                                     for i in rest or [])
    assert scan_batch(ls + ["$GPRMC,ü*00"], ())[0] == checksum_flags_ascii(ls + ["$GPRMC,ü*00"])
