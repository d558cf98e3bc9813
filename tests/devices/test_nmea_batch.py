"""Decoder.decode_batch (what the feed multiplexer calls) against decode_line, line by line."""

from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from devices.checksum import append
from devices.errors import ChecksumError, UnknownSentenceError
from devices.framing import Decoder
from devices.nmea import bench
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


FILLERS = [append("GPGSV,1,1,01,05,45,185,25"), append("GNVTG,12.50,T,,M,5.054,N,9.360,K,A"),
           append("GNGLL,2419.58400,N,10925.68600,E,112000.00,A,A"), append("GNZDA,112000.00,27,11,2024,00,00"),
           append("GNHDT,274.07,T"), "$GNGSA,A,3,02*00", "garbage"]


# one field of an epoch's GGA (0) or RMC (1) made unusual: (sentence, field index, value)
ODD = [(0, 1, ""), (0, 1, "24x9.5"), (0, 1, "2419.58401"), (0, 2, "S"), (0, 2, "Q"), (0, 3, ""), (0, 4, "W"),
       (0, 4, "X"), (0, 5, "0"), (0, 5, "x"), (0, 5, "2"), (0, 5, "13"), (0, 6, ""), (0, 6, "7"), (0, 6, "1x"),
       (0, 7, ""), (0, 7, "x"), (0, 8, ""), (0, 8, "-3.0"), (0, 8, "y"), (0, 0, ""), (0, 0, "2599xx"),
       (1, 0, ""), (1, 0, "235959"), (1, 0, "2599xx"), (1, 1, "V"), (1, 2, ""), (1, 2, "2419.58401"), (1, 3, "S"),
       (1, 3, "Q"), (1, 4, "10999.9"), (1, 4, ""), (1, 5, "W"), (1, 5, "X"), (1, 6, ""), (1, 6, "z"), (1, 7, ""), (1, 7, "q"), (1, 8, ""),
       (1, 8, "320199"), (1, 8, "010170")]


@st.composite
def epoch(draw) -> list[str]:
    """The GGA and RMC of one receiver second, in either order, usually alike, sometimes not."""
    t = f"{draw(st.integers(0, 23)):02d}{draw(st.integers(0, 59)):02d}{draw(st.integers(0, 59)):02d}" + \
        draw(st.sampled_from(["", ".00", ".5"]))
    lat, lon = f"24{draw(st.integers(0, 59)):02d}.58400", f"109{draw(st.integers(0, 59)):02d}.68600"
    date = draw(st.sampled_from(["261124", "261124", "271124", "010100"]))
    talkers = [draw(st.sampled_from(["GN", "GP"]))] * 2
    ew = draw(st.sampled_from("EW"))
    g = [t, lat, "N", lon, ew, "1", "12", "0.80", "86.4", "M", "", "M", "", ""]
    r = [t, "A", lat, "N", lon, ew, "5.054", "12.50", date, "", "", "A"]
    if draw(st.integers(0, 2)) == 0:
        which, k, value = draw(st.sampled_from(ODD + [(2, 0, "GL"), (2, 1, "GL")]))
        if which == 2:
            talkers[k] = value
        else:
            (g, r)[which][k] = value
    gga_line = append(talkers[0] + "GGA," + ",".join(g))
    rmc_line = append(talkers[1] + "RMC," + ",".join(r))
    out = [gga_line, rmc_line] if draw(st.booleans()) else [rmc_line, gga_line]
    if draw(st.integers(0, 2)) == 0:
        out[1:1] = draw(st.lists(st.sampled_from(FILLERS), max_size=2))
    if draw(st.integers(0, 9)) == 0:  # a damaged checksum or one the numpy scan leaves to check_end
        k = draw(st.integers(0, len(out) - 1))
        out[k] = out[k][:-2] + draw(st.sampled_from(["00", out[k][-2:].lower(), out[k][-2:] + " "]))
    return out


# found by CI (2026-12-05): an RMC left alone (its GGA had no latitude), then the next epoch's GGA and RMC at the same
# time of day written "000000.00" and "000000": one epoch by its time, as the sentence-by-sentence merge pairs them
SAME_TIME_WRITTEN_TWO_WAYS = [
    [append("GNRMC,000000.00,A,2400.58400,N,10900.68600,E,5.054,12.50,261124,,,A"),
     append("GNGGA,000000.00,,N,10900.68600,E,1,12,0.80,86.4,M,,M,,")],
    [append("GNGGA,000000,2400.58400,N,10900.68600,E,1,12,0.80,86.4,M,,M,,"),
     append("GNRMC,000000,A,2400.58400,N,10900.68600,E,5.054,12.50,261124,,,A")]]


@settings(max_examples=150, deadline=None)
@given(st.lists(epoch(), min_size=1, max_size=12), st.booleans())
@example(SAME_TIME_WRITTEN_TWO_WAYS, True)
@example(SAME_TIME_WRITTEN_TWO_WAYS, False)
def test_epochs_merged_in_one_pass_equal_the_reference(epochs, full):
    ls = [line for e in epochs for line in e]
    recs, errs, counters = line_by_line(ls)
    m_recs, m_errs, m_counters = batch(ls, merge=True, full=full)
    if full:
        assert m_recs == merged(recs)
    else:  # the lean path decodes no SkyReport
        assert m_recs == merged([r for r in recs if r.__class__.__name__ != "SkyReport"])
    assert m_errs == errs
    assert m_counters == counters | {"records": len(m_recs)}  # fewer records: merged, no SkyReport
    u_recs, u_errs, u_counters = batch(ls, full=full)
    assert u_recs == (recs if full else [r for r in recs if r.__class__.__name__ != "SkyReport"]) and u_errs == errs
    assert u_counters == counters | {"records": len(u_recs)}


def pair_lines(t: str, odd: tuple[int, int, str] | None = None, rmc_first: bool = False,
               where: tuple[str, str, str, str] = ("2419.58400", "N", "10925.68600", "E")) -> list[str]:
    g = [t, *where, "1", "12", "0.80", "86.4", "M", "", "M", "", ""]
    r = [t, "A", *where, "5.054", "12.50", "261124", "", "", "A"]
    if odd is not None:
        (g, r)[odd[0]][odd[1]] = odd[2]
    pair = [append("GNGGA," + ",".join(g)), append("GNGSV,1,1,01,05,45,185,25"), append("GNRMC," + ",".join(r))]
    return pair[::-1] if rmc_first else pair


@pytest.mark.parametrize("rmc_first", [False, True])
@pytest.mark.parametrize("odd", ODD)
def test_each_unusual_field_of_an_epoch_gives_what_the_sentences_give_one_by_one(odd, rmc_first):
    ls = pair_lines("112000.00", rmc_first=rmc_first) + pair_lines("112001.00", odd, rmc_first) + \
        pair_lines("112002.00", rmc_first=rmc_first) + [append("GNGGA,000003.00,2419.5,N,10925.6,E,1,12,0.8,8,M,,M,,")]
    for stream in (ls, ls * 10):  # a few lines (scanned in Python), many (numpy)
        recs, errs, counters = line_by_line(stream)
        for full in (True, False):
            m_recs, m_errs, m_counters = batch(stream, merge=True, full=full)
            assert m_recs == merged([r for r in recs if full or isinstance(r, Fix)]) and m_errs == errs
            assert m_counters == counters | {"records": len(m_recs)}


@pytest.mark.parametrize(("t", "where"), [
    ("112001.5", ("2419.58400", "S", "10925.68600", "W")), ("112001.25", ("519.5", "N", "00025.6", "E")),
    ("112001", ("2419.", "N", "10925.68600", "E")), ("112001", ("2419.5", "N", "10925.", "E")),
    ("112001", ("9100.0", "N", "10925.6", "E")), ("112001", ("2419.5", "N", "18100.0", "E")),
    ("112001", ("9000.0", "S", "18000.0", "W")), ("112001", ("0", "N", "0", "E")),
    ("112001", ("2419.5", "n", "10925.6", "e")), ("112001", ("24.19.5", "N", "10925.6", "E")),
    ("112001", ("2419.5", "N", "109.25.6", "E")), ("112001", ("+419.5", "N", "10925.6", "E")),
    ("112001", ("2419.5e1", "N", "10925.6", "E")), ("112001", ("2419.5", "N", "10925_6.1", "E")),
    ("1120.01", ("2419.5", "N", "10925.6", "E")), ("2360010", ("2419.5", "N", "10925.6", "E")),
    ("112001.", ("2419.5", "N", "10925.6", "E")), ("112001.x", ("2419.5", "N", "10925.6", "E")),
])
def test_unusual_text_shared_by_both_sentences_gives_what_they_give_one_by_one(t, where):
    ls = pair_lines("112000.00") + pair_lines(t, where=where) + pair_lines(t, where=where, rmc_first=True) + \
        pair_lines("112002.00")
    for stream in (ls, ls * 10):
        recs, errs, counters = line_by_line(stream)
        m_recs, m_errs, m_counters = batch(stream, merge=True, full=False)
        assert m_recs == merged([r for r in recs if isinstance(r, Fix)]) and m_errs == errs
        assert m_counters == counters | {"records": len(m_recs)}
