"""AIS in gpsd's vocabulary, feed quirks, and the fast path held equal to the pyais path.

Every sentence here is built in this file from bit fields (payload armour and checksum
computed here), so each test states exactly which bits it sends.
"""

from __future__ import annotations

import json
import shutil
import subprocess

import pyais
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from devices.ais import fast
from devices.ais.decoder import AisDecoder
from devices.ais.gpsd import Bits, render, turn
from devices.errors import ChecksumError, DeviceError, MalformedSentenceError, UnknownSentenceError
from devices.framing import DecodeStream
from devices.gpsd_json import to_gpsd_json
from tests.devices.helpers import clock

pytestmark = pytest.mark.usefixtures("ais_path")  # every test on the compiled and the Python path


def bits(*fields: tuple[int, int]) -> str:
    """(width, value) fields, two's complement for negative values, as a bit string."""
    return "".join(format(v & ((1 << w) - 1), f"0{w}b") for w, v in fields)


def armour(b: str) -> tuple[str, int]:
    fill = -len(b) % 6
    b += "0" * fill
    return "".join(chr(v + 48 if v < 40 else v + 56) for v in (int(b[i : i + 6], 2) for i in range(0, len(b), 6))), fill


def cs(body: str) -> str:
    x = 0
    for c in body.encode():
        x ^= c
    return f"{x:02X}"


def sentences(b: str, channel: str = "A", seq: int = 1, talker: str = "AI", kind: str = "VDM") -> list[str]:
    payload, fill = armour(b)
    chunks = [payload[i : i + 60] for i in range(0, len(payload), 60)] or [""]
    out = []
    for k, chunk in enumerate(chunks, 1):
        body = (f"{talker}{kind},{len(chunks)},{k},{seq if len(chunks) > 1 else ''},{channel},{chunk},"
                f"{fill if k == len(chunks) else 0}")
        out.append(f"!{body}*{cs(body)}")
    return out


def type1(mmsi: int = 413761230, *, mtype: int = 1, status: int = 0, turn_raw: int = -128, speed: int = 63,
          accuracy: int = 1, lon: int = 65656860, lat: int = 14595600, course: int = 451, heading: int = 44,
          second: int = 12, maneuver: int = 0, raim: int = 0, radio: int = 34017) -> str:
    return bits((6, mtype), (2, 0), (30, mmsi), (4, status), (8, turn_raw), (10, speed), (1, accuracy), (28, lon),
                (27, lat), (12, course), (9, heading), (6, second), (2, maneuver), (3, 0), (1, raim), (19, radio))


def type24a(mmsi: int, name: str) -> str:
    return bits((6, 24), (2, 0), (30, mmsi), (2, 0)) + text(name, 20)


def type24b(mmsi: int, callsign: str, shiptype: int = 37, dims: tuple[int, int, int, int] = (6, 3, 1, 1),
            mother: int | None = None) -> str:
    tail = bits((30, mother)) if mother is not None else bits((9, dims[0]), (9, dims[1]), (6, dims[2]), (6, dims[3]))
    return (bits((6, 24), (2, 0), (30, mmsi), (2, 1), (8, shiptype)) + text("SMT", 3) + bits((4, 2), (20, 77))
            + text(callsign, 7) + tail + bits((6, 0)))


def text(s: str, chars: int) -> str:
    six = "@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_ !\"#$%&'()*+,-./0123456789:;<=>?"
    return "".join(format(six.index(c), "06b") for c in s.ljust(chars, "@")[:chars])


def decode(lines: list[str], **kw: object) -> list[dict[str, object]]:
    d = AisDecoder("ais0", clock=clock, **kw)  # type: ignore[arg-type]
    out = []
    for line in lines:
        out += [r.fields for r in d.decode(line)]
    return out


# --- gpsd's vocabulary --------------------------------------------------------------------


def test_type1_in_gpsd_vocabulary_and_order():
    [line] = sentences(type1(turn_raw=20, speed=63, course=451, heading=44))
    [r] = AisDecoder("ais0", clock=clock).decode(line)
    assert list(to_gpsd_json(r, "ais0")) == [
        "class", "device", "type", "repeat", "mmsi", "scaled", "status", "status_text", "turn", "speed", "accuracy",
        "lon", "lat", "course", "heading", "second", "maneuver", "raim", "radio"]
    f = r.fields
    assert (f["status_text"], f["turn"], f["speed"], f["course"], f["heading"]) == ("Under way using engine", 18, 6.3,
                                                                                    45.1, 44)
    assert (f["lon"], f["lat"]) == (109.4281, 24.326)
    assert (r.lat, r.lon, r.speed, r.course, r.heading) == (24.326, 109.4281, 6.3, 45.1, 44.0)


@pytest.mark.parametrize(("raw", "shown"), [(-128, "nan"), (-127, "fastleft"), (127, "fastright"), (0, 0),
                                            (20, 18), (-20, 18), (-3, 0), (126, 709)])
def test_turn_as_gpsd_prints_it(raw, shown):
    assert turn(raw) == shown  # gpsd squares the rate and drops its sign
    [f] = decode(sentences(type1(turn_raw=raw)))
    assert f["turn"] == shown


def test_not_available_values_as_gpsd_keeps_them():
    [line] = sentences(type1(status=15, speed=1023, lon=181 * 600000, lat=91 * 600000, course=3600, heading=511,
                             second=60))
    [r] = AisDecoder("ais0", clock=clock).decode(line)
    f = r.fields
    assert (f["status_text"], f["speed"], f["lon"], f["lat"], f["course"], f["heading"], f["second"]) == (
        "Not defined", "nan", 181.0, 91.0, 360.0, 511, 60)
    assert r.lat is r.lon is r.speed is r.course is r.heading is None
    [f] = decode(sentences(type1(speed=1022)))
    assert f["speed"] == "fast"


def test_type5_eta_draught_text_and_legends():
    b = (bits((6, 5), (2, 0), (30, 413700001), (2, 0), (30, 9123456)) + text("BXAB3", 7) + text("GUI PING@HUO", 20)
         + bits((8, 70), (9, 50), (9, 20), (6, 5), (6, 6), (4, 1), (4, 0), (5, 0), (5, 24), (6, 60), (8, 34))
         + text("  LIUZHOU  ", 20) + bits((1, 0), (1, 0)))
    out = decode(sentences(b, seq=3))
    [f] = out
    assert f["shipname"] == "GUI PING"  # text ends at the first '@'
    assert f["destination"] == "  LIUZHOU"  # leading blanks stay, trailing ones go
    assert (f["eta"], f["draught"], f["dte"], f["shiptype_text"], f["epfd_text"]) == (
        "00-00T24:60Z", 3.4, 0, "Cargo - all ships of this type", "GPS")


def test_type4_timestamp_and_type27_text_status():
    b4 = bits((6, 4), (2, 0), (30, 4130001), (14, 0), (4, 0), (5, 0), (5, 24), (6, 60), (6, 60), (1, 0),
              (28, 181 * 600000), (27, 91 * 600000), (4, 7), (10, 0), (1, 0), (19, 5))
    [f] = decode(sentences(b4))
    assert (f["timestamp"], f["lat"], f["epfd_text"]) == ("0000-00-00T24:60:60Z", 91.0, "Surveyed")
    b27 = bits((6, 27), (2, 0), (30, 413700006), (1, 1), (1, 0), (4, 5), (18, -92520), (17, 14580), (6, 5),
               (9, 90), (1, 0), (1, 0))
    [r] = AisDecoder("ais0", clock=clock).decode(sentences(b27)[0])
    assert (r.fields["status"], r.fields["lon"], r.fields["lat"], r.fields["speed"]) == ("Moored", -154.2, 24.3, 5)
    assert (r.lat, r.lon, r.speed, r.course) == (24.3, -154.2, 5.0, 90.0)


def test_binary_messages_as_bits_and_hex():
    b8 = bits((6, 8), (2, 0), (30, 413700007), (2, 0), (10, 366), (6, 56)) + "1010110011"
    [f] = decode(sentences(b8))
    assert (f["dac"], f["fid"], f["data"]) == (366, 56, "10:acc0")
    b9 = bits((6, 9), (2, 0), (30, 111413000), (12, 4094), (10, 1023), (1, 0), (28, 0), (27, 0), (12, 333),
              (6, 5), (8, 0), (1, 1), (3, 0), (1, 0), (1, 0), (20, 9))
    [f] = decode(sentences(b9))
    assert (f["alt"], f["speed"], f["course"], f["dte"]) == ("high", "nan", 33.3, 1)


def test_short_forms_read_zeros_past_the_end():
    # a 72-bit type 13 acknowledges one station: gpsd reports the other three as 0
    [f] = decode(sentences(bits((6, 13), (2, 0), (30, 2655651), (2, 0), (30, 265538450), (2, 0))))
    assert (f["mmsi1"], f["mmsi2"], f["mmsi3"], f["mmsi4"]) == (265538450, 0, 0, 0)
    # a 163-bit type 1 (some transponders): the radio field is the bits that are there
    [f] = decode(sentences(type1(radio=0b1010101010101010101)[:163]))
    assert f["radio"] == 0b10101010101010


def test_lengths_gpsd_refuses_are_malformed():
    d = AisDecoder("ais0", clock=clock)
    with pytest.raises(MalformedSentenceError):
        d.decode(sentences(type1()[:162])[0])
    with pytest.raises(UnknownSentenceError):
        d.decode(sentences(bits((6, 30), (2, 0), (30, 1), (40, 0)))[0])
    assert (d.counters.malformed, d.counters.unknown) == (1, 1)


# --- feed quirks --------------------------------------------------------------------------


def test_talkers_own_ship_channels_and_checksum_forms():
    b = type1()
    [base] = sentences(b)
    variants = [
        sentences(b, talker="BS")[0], sentences(b, talker="AB")[0], sentences(b, talker="AN")[0],
        sentences(b, kind="VDO")[0], sentences(b, channel="")[0], sentences(b, channel="1")[0],
        sentences(b, channel="2")[0], base[:-2] + base[-2:].lower(), base + ",1732620000", base + "  ",
        "\\s:rcv1,c:1732620000*" + cs("s:rcv1,c:1732620000") + "\\" + base,
    ]
    for line in variants:
        [f] = decode([line])
        assert f["mmsi"] == 413761230, line
    d = AisDecoder("ais0", clock=clock)
    for bad, error in ((sentences(b, channel="C")[0], MalformedSentenceError),
                       (base.lower(), UnknownSentenceError), (base[:-1] + "0", ChecksumError)):
        with pytest.raises(error):
            d.decode(bad)


def test_characters_outside_the_armour_read_as_gpsd_reads_them():
    b = type1()
    payload, _ = armour(b)
    good = f"AIVDM,1,1,,A,{payload},0"
    odd = f"AIVDM,1,1,,A,{payload[:-1]}!,0"  # '!' wraps round to the value 41
    [f] = decode([f"!{odd}*{cs(odd)}"])
    assert f["radio"] == (decode([f"!{good}*{cs(good)}"])[0]["radio"] & ~63) | 41  # type: ignore[operator]


def test_fill_bits_and_receive_timestamps_through_the_stream():
    [line] = sentences(type1())
    [padded] = sentences(type1()[:166])  # 28 characters less 2 fill bits
    assert padded.split(",")[6].startswith("2")
    s = DecodeStream("feed", clock=clock)
    out = s.feed(f"1732620002.125 {line}\r\n[2024-11-26T11:20:04Z] {padded}\n".encode())
    assert [r.fields["radio"] for r in out] == [34017, 34017 >> 2]  # type: ignore[union-attr]


def test_multipart_interleaved_channels_and_sequence_ids():
    b5 = (bits((6, 5), (2, 0), (30, 413700001), (2, 0), (30, 0)) + text("BXAB3", 7) + text("SHIP A", 20)
          + bits((8, 70), (9, 1), (9, 1), (6, 1), (6, 1), (4, 1), (4, 1), (5, 1), (5, 1), (6, 1), (8, 1))
          + text("LIUZHOU", 20) + bits((1, 0), (1, 0)))
    a = sentences(b5, "A", 5)
    b = sentences(b5.replace(format(413700001, "030b"), format(413700002, "030b"), 1), "B", 5)
    c = sentences(b5.replace(format(413700001, "030b"), format(413700003, "030b"), 1), "A", 6)
    out = decode([a[0], b[0], c[0], a[1], b[1], c[1]])
    assert [f["mmsi"] for f in out] == [413700001, 413700002, 413700003]
    # a missing first fragment, then a fragment out of order: dropped, counted, never glued together
    d = AisDecoder("ais0", clock=clock)
    assert d.decode(a[1]) == [] and d.decode(b[1]) == [] and d.decode(b[0]) == []
    assert d.decode(a[0]) == [] and [r.mmsi for r in d.decode(a[1])] == [413700001]
    assert d.incomplete == 2 and len(d.assembler) == 1


def test_type24_parts_pair_per_channel_as_gpsd():
    a1, b1 = sentences(type24a(413500777, "QING SHUI 3"))[0], sentences(type24b(413500777, "BQS3"))[0]
    other = sentences(type24b(413500777, "BQS3"), channel="B")[0]
    out = decode([a1, sentences(type1())[0], b1, b1, a1, other])
    assert [(f["type"], f.get("part")) for f in out] == [(24, "A"), (1, None), (24, None), (24, "B"), (24, "A"),
                                                        (24, "B")]
    whole = out[2]
    assert list(whole)[3:] == ["scaled", "shipname", "shiptype", "shiptype_text", "vendorid", "model", "serial",
                               "callsign", "to_bow", "to_stern", "to_port", "to_starboard"]
    assert (whole["shipname"], whole["callsign"], whole["model"], whole["serial"]) == ("QING SHUI 3", "BQS3", 2, 77)
    assert whole["vendorid"] == "SMTH"  # gpsd reads all 42 bits as text: model and serial too, up to an "@"
    # an auxiliary craft (MMSI 98...) names its mother ship instead of dimensions
    [_, aux] = decode([sentences(type24a(984130001, "TENDER"))[0],
                       sentences(type24b(984130001, "AUX1", mother=413500777))[0]])
    assert aux["mothership_mmsi"] == 413500777 and "to_bow" not in aux
    # gpsd keeps the last 8 part A names per channel
    names = [sentences(type24a(413500000 + k, f"S{k}"))[0] for k in range(9)]
    out = decode(names + [sentences(type24b(413500000, "X"))[0], sentences(type24b(413500001, "Y"))[0]])
    assert [f.get("part") for f in out[9:]] == ["B", None]


def test_decode_cli_prints_only_whole_type24(tmp_path, capsys):
    from console.cli import decode as cli

    lines = [sentences(type24a(413500777, "QING SHUI 3"))[0], sentences(type24b(413500777, "BQS3"))[0],
             sentences(type24b(413500778, "LONE"))[0]]
    path = tmp_path / "ais.nmea"
    path.write_text("\n".join(lines) + "\n")
    assert cli.run(cli_args(str(path))) == 0
    [obj] = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert (obj["mmsi"], obj["shipname"], obj["callsign"]) == (413500777, "QING SHUI 3", "BQS3")


def cli_args(path: str):  # type: ignore[no-untyped-def]
    import argparse

    from console.cli import decode as cli

    p = argparse.ArgumentParser()
    cli.add_arguments(p)
    return p.parse_args([path])


# --- the fast path against the pyais path and against pyais -------------------------------

payloads = st.one_of(
    st.tuples(st.sampled_from([1, 2, 3, 18]), st.integers(0, (1 << 162) - 1), st.just(168)),
    st.tuples(st.integers(0, 63), st.integers(0, (1 << 1002) - 1), st.integers(38, 1008)),
)


@settings(max_examples=400, deadline=None)
@given(payloads, st.sampled_from(["A", "B", "", "1", "2"]), st.sampled_from(["AI", "BS", "AB"]),
       st.sampled_from(["VDM", "VDO"]))
def test_fast_path_equals_pyais_path(payload, channel, talker, kind):
    mtype, rest, n = payload
    v = (mtype << (n - 6)) | (rest & ((1 << (n - 6)) - 1))
    lines = sentences(format(v, f"0{n}b"), channel, 3, talker, kind)
    got = []
    for use_fast in (True, False):
        d = AisDecoder("ais0", clock=clock, fast=use_fast)
        out: list[object] = []
        for line in lines:
            try:
                out += d.decode(line)
            except DeviceError as exc:
                out.append(type(exc))
        got.append(out)
    assert got[0] == got[1]
    assert [r.fields for r in got[0] if not isinstance(r, type)] == [r.fields for r in got[1] if not isinstance(r, type)]  # type: ignore[attr-defined]


@settings(max_examples=300, deadline=None)
@given(st.sampled_from([1, 2, 3, 18]), st.integers(0, (1 << 162) - 1))
def test_position_values_equal_pyais(mtype, rest):
    v = (mtype << 162) | rest
    [line] = sentences(format(v, "0168b"))
    assert fast.single(line) == render(v, 168)  # the unrolled path equals the table
    [r] = AisDecoder("ais0", clock=clock).decode(line)
    m = pyais.decode(line)
    f = r.fields
    assert (f["mmsi"], f["repeat"], f["lat"], f["lon"], f["heading"], f["second"], f["accuracy"], f["raim"]) == (
        m.mmsi, m.repeat, m.lat, m.lon, m.heading, m.second, m.accuracy, m.raim)
    assert f["radio"] == m.radio and f["course"] == m.course
    if mtype == 18:
        assert f["speed"] == m.speed and f["cs"] == m.cs and f["msg22"] == m.msg22
    else:
        assert f["status"] == int(m.status) and f["maneuver"] == int(m.maneuver)
        assert f["speed"] == {102.3: "nan", 102.2: "fast"}.get(m.speed, m.speed)


@settings(max_examples=500, deadline=None)
@given(st.integers(-(1 << 27), (1 << 27) - 1))
def test_degrees_shortcut_equals_printf(raw):
    assert fast._deg6(raw) == float(f"{raw / 600000.0:.6f}")


def test_text_reading_equals_one_character_at_a_time():
    import random

    rnd = random.Random(5)
    six = "@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_ !\"#$%&'()*+,-./0123456789:;<=>?"
    for _ in range(2000):
        n = rnd.randrange(38, 1010)
        p = Bits(rnd.getrandbits(n), n)
        off, chars = rnd.randrange(0, n + 12), rnd.randrange(0, 30)
        ref = "".join(six[p.u(off + 6 * k, 6)] for k in range(chars)).split("@")[0]
        assert p.raw_text(off, chars) == ref


# --- against gpsdecode itself, where it is installed ---------------------------------------


@pytest.mark.skipif(shutil.which("gpsdecode") is None, reason="gpsd's gpsdecode is not installed")
def test_same_reports_as_gpsdecode():
    import random

    rnd = random.Random(11)
    lines = []
    for k in range(300):
        mtype = rnd.choice([1, 2, 3, 4, 5, 7, 9, 10, 11, 12, 14, 15, 18, 19, 20, 21, 22, 23, 24, 27])
        n = {5: 424, 19: 312, 21: 272 + 6 * rnd.randrange(0, 10), 12: 72 + 6 * rnd.randrange(0, 20),
             14: 40 + 6 * rnd.randrange(0, 20), 24: 168, 27: 96}.get(mtype, 168)
        v = (mtype << (n - 6)) | rnd.getrandbits(n - 6)
        lines += sentences(format(v, f"0{n}b"), rnd.choice("AB"), k % 10)
    lines += [sentences(type24a(413500777, "QING SHUI 3"))[0], sentences(type24b(413500777, "BQS3"))[0]]
    data = ("\n".join(lines) + "\n").encode()
    theirs = [json.loads(x) for x in subprocess.run(["gpsdecode"], input=data, capture_output=True,
                                                    check=True).stdout.decode().splitlines()]
    s = DecodeStream("stdin", clock=clock)
    ours = [to_gpsd_json(r, "stdin") for r in s.feed(data) if "part" not in getattr(r, "fields", {"part": 1})]
    assert len(ours) == len(theirs) > 250
    for a, b in zip(theirs, ours, strict=True):
        assert a == b


def test_log_comment_lines_are_skipped_not_salvaged():
    [line] = sentences(type1())
    s = DecodeStream("log", clock=clock)
    out = s.feed(f"# 18/05/2012 18:15:37 {line}\n#{{\"class\":\"AIS\",\"type\":1,\"mmsi\":1}}\n{line}\n".encode())
    assert len(out) == 1 and s.framer.comments == 2 and s.counters.garbage == 0


def test_inland_persons_on_board():
    head = bits((6, 6), (2, 0), (30, 244620320), (2, 1), (30, 2268402), (1, 1), (1, 0), (10, 200), (6, 55))
    [f] = decode(sentences(head + bits((8, 6), (13, 120), (8, 2), (51, 0))))
    assert (f["crew"], f["passengers"], f["personnel"], f["retransmit"]) == (6, 120, 2, True) and "data" not in f
    [f] = decode(sentences(head + bits((8, 6), (13, 120), (8, 2), (57, 0))))  # not the 168-bit form: raw data
    assert f["data"] == "86:" + (bits((8, 6), (13, 120), (8, 2), (57, 0)).ljust(88, "0") and
                                 format(int(bits((8, 6), (13, 120), (8, 2), (57, 0)).ljust(88, "0"), 2), "022x"))
