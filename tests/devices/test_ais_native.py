"""The compiled AIS decoder against the pure Python one: the same text byte for byte, the same records,
errors and counters, on samples, hand-written quirks, gpsdecode's own output and mutated lines."""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from devices.ais import native
from devices.ais.decoder import AisDecoder
from devices.checksum import append
from devices.errors import DeviceError
from devices.nmea import bench as nmea_bench
from devices.report_stream import ReportStream
from tests.devices.helpers import DATA, clock
from tests.devices.test_ais_gpsd import bits, sentences, type1, type24a, type24b
from tests.devices.test_decode_mutated import mutate

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(not native.available(), reason="the compiled AIS decoder is not built: pip install -e .")


def random_messages(seed: int, count: int, any_length: bool = True) -> list[str]:
    """Messages of every type gpsd reports, random bits, lengths gpsd takes (and with ``any_length`` any
    length: some it refuses, some it reads in part)."""
    rnd = random.Random(seed)
    out = []
    for k in range(count):
        mtype = rnd.randrange(0, 64) if k % 7 == 0 else rnd.choice(
            [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27])
        n = {5: 424, 19: 312, 21: 272 + 6 * rnd.randrange(0, 17), 12: 72 + 6 * rnd.randrange(0, 20),
             14: 40 + 6 * rnd.randrange(0, 20), 24: rnd.choice([160, 168]), 27: 96, 6: 88 + rnd.randrange(0, 300),
             8: 56 + rnd.randrange(0, 400)}.get(mtype, 168)
        if any_length and k % 5 == 0:
            n = rnd.randrange(6, 500)  # any length: short ones gpsd refuses, long ones it reads in part
        v = (mtype << (n - 6)) | rnd.getrandbits(n - 6)
        out += sentences(format(v, f"0{n}b"), rnd.choice(["A", "B", "", "1", "2"]), k % 10,
                         rnd.choice(["AI", "BS", "AB"]), rnd.choice(["VDM", "VDO"]))
    return out


def quirks() -> list[str]:
    """Sentences as feeds really send them, and as they break."""
    [t1] = sentences(type1())
    body = t1[1 : t1.index("*")]
    a1, a2 = sentences(bits((6, 5), (2, 0), (30, 413700001)) + "0" * 386, "A", 3)
    long_frag = append("AIVDM,2,1,4,A," + "1" * 201 + ",0", "!")
    return [
        t1,  # as sent
        t1[: t1.index("*") + 1] + t1[t1.index("*") + 1 :].lower(),  # lower-case checksum
        t1 + ",1732620000", t1 + " ", "  " + t1, "\\s:station1,c:1732620000*5A\\" + t1,  # USCG stamp, blanks, tag block
        "!" + body, "!" + body + "  ",  # no checksum (refused while required)
        t1[:-2] + "00", t1[:-2] + " " + t1[-1], t1[:-2] + "+" + t1[-1], t1[:-1], t1[:-2] + "zz",  # bad checksums
        append(body.replace("AIVDM", "AIVDMX"), "!"),  # anything after the tag's VDM
        append(body.replace("AIVDM", "aiVDM"), "!"), append(body.replace("AIVDM", "AIVDQ"), "!"),  # not AIS
        append(body.replace(",A,", ",C,"), "!"), append(body.replace(",A,", ",Bx,"), "!"),  # channels
        append(body[:-1] + "6", "!"), append(body[:-1] + "", "!"), append(body + ",x,y", "!"),  # fill bits, extra fields
        append(body.replace(",1,1,", ",01,1,"), "!"), append(body.replace(",1,1,", ", 1,1,"), "!"),  # counts int() reads
        append(body.replace(",1,1,", ",1,2,"), "!"), append(body.replace(",1,1,", ",10,1,"), "!"),
        append(body.replace(",1,1,", ",x,1,"), "!"), append("AIVDM,1,1,,A", "!"),  # fields missing
        append(body.replace(body.split(",")[5], body.split(",")[5].replace("1", "\x7f")), "!"),  # outside the armour
        t1[:20] + "\u00e9" + t1[21:],  # not ASCII
        a1, a2, a2, a1, a1, a2,  # in order, out of order, a first part repeated
        a1.replace(",3,", ",x,"), a1.replace(",3,", ", 3,"), a2.replace(",3,", ",03,"),  # sequence ids int() reads
        a1.replace(",3,", "," + "9" * 40 + ","), a2.replace(",3,", "," + "9" * 40 + ","),  # ... a huge one
        a1.replace(",3,", ",\u00e9,"),  # ... one not ASCII
        long_frag, append("AIVDM,2,1,5,B,,0", "!"), append("AIVDM,2,2,5,B,0,5", "!"),  # pyais limits, fill > payload
        *sentences(type24a(413500777, "QING SHUI 3"), "B"), *sentences(type24b(413500777, "BQS3"), "B"),
        *sentences(type24b(413500777, "BQS3"), "B"),  # part B again: its part A was used
        *sentences(type24a(983500777, "AUX"), "A"), *sentences(type24b(983500777, "AUX", mother=413500777), "A"),
        *sentences(bits((6, 24), (2, 0), (30, 5), (2, 2)) + "0" * 128), *sentences(type24a(5, "X") + "0" * 30),
    ]


def texts(data: bytes, compiled: bool, device: str | None = "test") -> tuple[str, str]:
    """What `main.py decode` prints for `data` on one path: stdout, and the summary's counters."""
    from devices.report_stream import _Printer

    enabled, native.ENABLED = native.ENABLED, compiled
    try:
        s = ReportStream(device or "stdin")
        out: list[str] = []
        line_of = _Printer(device)
        head = native.json_head(device)
        for i in range(0, len(data), 4096):  # small chunks: lines cut between them
            out += s.feed_text(data[i : i + 4096], line_of, head)[0]
        out += s.close_text(line_of, head)[0]
        assert s.ais is None or s.ais.native == compiled
        c = s.counters
        return "".join(out), repr(c) + f" fallbacks={s.app_fallbacks}"
    finally:
        native.ENABLED = enabled


def records(lines: list[str], compiled: bool) -> tuple[list[object], dict[str, object], int, int]:
    d = AisDecoder("ais0", clock=clock, native=compiled)
    assert d.native == compiled
    out: list[object] = []
    for line in lines:
        try:
            out += [(r.msg_type, r.mmsi, r.lat, r.lon, r.speed, r.course, r.heading, r.shipname, r.fields)
                    for r in d.decode(line)]
        except DeviceError as exc:
            out.append(type(exc).__name__)
    return out, d.counters.as_dict(), d.incomplete, len(d.assembler)


def same_on_both(lines: list[str]) -> str:
    data = ("\r\n".join(lines) + "\r\n").encode("utf-8", "surrogateescape")
    compiled, python = texts(data, True), texts(data, False)
    assert compiled[1] == python[1]
    assert compiled[0] == python[0]  # byte for byte
    c, p = records(lines, True), records(lines, False)
    assert c[1:] == p[1:]
    assert c[0] == p[0]
    return compiled[0]


def test_samples_print_the_same_on_both_paths():
    for name in ("ais_liujiang.nmea", "ublox_gn.nmea"):
        lines = (DATA / name).read_bytes().decode().splitlines()
        assert same_on_both(lines) or name != "ais_liujiang.nmea"


def test_the_bench_feed_prints_the_same_on_both_paths():
    text = same_on_both(nmea_bench.ais_stream(300)[0])
    assert text.count("\n") == 300 * 2 + 60  # types 1 and 18, every 5th round a type 5 (its type 24 is a lone part A)


def test_every_type_and_length_prints_the_same_on_both_paths():
    text = same_on_both(random_messages(5, 1500))
    assert text.count('"class":"AIS"') > 900


def test_quirks_print_the_same_on_both_paths():
    text = same_on_both(quirks())
    assert '"shipname":"QING SHUI 3"' in text and '"mothership_mmsi":413500777' in text


def test_mutated_lines_print_the_same_on_both_paths():
    rng = random.Random(18)
    good = nmea_bench.ais_stream(400)[0] + random_messages(9, 400) + quirks() + nmea_bench.nmea_stream(100)
    good = [line for line in good if line.count(",") >= 6]  # what `mutate` takes apart
    lines = [mutate(good[rng.randrange(len(good))], rng).decode("ascii", "replace") for _ in range(40_000)]
    lines = [line for line in lines if line and "\r" not in line and "\n" not in line]
    same_on_both(lines)


def test_the_assembler_of_the_compiled_path():
    a1, a2 = sentences(bits((6, 5), (2, 0), (30, 413700001)) + "0" * 386, "B", 7)
    d = AisDecoder("ais0", clock=clock, native=True)
    assert d.decode(a1) == [] and len(d.assembler) == 1 and d.incomplete == 0
    assert d.assembler.expire(d.assembler.clock() + 5) == 0 and len(d.assembler) == 1
    assert d.assembler.expire(d.assembler.clock() + 60) == 1 and len(d.assembler) == 0 and d.incomplete == 1
    assert d.decode(a2) == [] and d.incomplete == 2  # its first part expired
    for k in range(300):  # more messages waiting than the buffer holds: the oldest go
        d.decode(sentences(bits((6, 5), (2, 0), (30, k)) + "0" * 386, "A", k)[0])
    assert len(d.assembler) == 256 and d.incomplete == 2 + 44


def test_long_and_binary_lines_do_not_break_the_compiled_path():
    d = AisDecoder("ais0", clock=clock, native=True)
    for line in ["!AIVDM,1,1,,A," + "w" * 5000 + ",0", "!AIVDM,9,9,9,A," + "0" * 199 + ",5*00",
                 append("AIVDM,1,1,,A," + "w" * 1000 + ",0", "!"), append("AIVDM,1,1,,A," + "w" * 1001 + ",0", "!"),
                 "!" + "," * 3000, "\\" * 100, "!AIVDM" + "\x00" * 50, "!AIVDM,1,1,,A,\udcff,0*00"]:
        try:
            d.decode(line)
        except DeviceError:
            pass
    assert d.counters.sentences == 8


def test_the_environment_switches_the_compiled_path_off():
    code = "from devices.ais.decoder import AisDecoder; print(AisDecoder('x').native)"
    for value, expect in (("1", "False"), ("", "True")):
        env = dict(os.environ, CONSOLE_PURE_PYTHON=value)
        out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
        assert out.stdout.strip() == expect


def test_the_command_prints_the_same_bytes_on_both_paths(tmp_path):
    path = tmp_path / "feed.ais"
    path.write_text("".join(line + "\r\n" for line in quirks() + random_messages(3, 200)), encoding="utf-8")
    runs = []
    for value in ("", "1"):
        env = dict(os.environ, CONSOLE_PURE_PYTHON=value)
        p = subprocess.run([sys.executable, str(ROOT / "main.py"), "decode", str(path)], cwd=ROOT, env=env,
                           capture_output=True, check=True)
        runs.append((p.stdout, p.stderr))
    assert runs[0] == runs[1] and runs[0][0].count(b"\n") > 100


@pytest.mark.skipif(shutil.which("gpsdecode") is None, reason="gpsd's gpsdecode is not installed")
def test_the_compiled_text_is_what_gpsdecode_prints():
    import json

    lines = random_messages(21, 600, any_length=False)
    lines = [line for line in lines if line.split(",")[5][:1] in "123459;BCEH"]  # the types rendered in C
    data = ("\n".join(lines) + "\n").encode()
    theirs = [json.loads(x) for x in subprocess.run(["gpsdecode"], input=data, capture_output=True,
                                                    check=True).stdout.decode().splitlines()]
    ours = [json.loads(x) for x in texts(data, True, "stdin")[0].splitlines()]  # gpsdecode names stdin so
    assert len(ours) == len(theirs) > 100
    for a, b in zip(theirs, ours, strict=True):
        assert a == b


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_an_ais_feed_then_nmea_in_any_chunks_prints_the_same_on_every_path(seed):
    """`ReportLines` makes the compiled NMEA decoder at the first chunk holding a '$': what the Python framer
    holds then (a line cut by the chunk, the rest of a line too long) passes over, its counts are kept."""
    from devices.nmea import native as nmea_native
    from devices.report_stream import ReportLines

    rng = random.Random(seed)
    ais = nmea_bench.ais_stream(60)[0] + quirks()
    nmea = nmea_bench.nmea_stream(40)
    data = ("\r\n".join(ais) + "\r\n" + "!AIVDM" + "x" * 5000 + "\n" + "garbage\n" + "\r\n".join(nmea) + "\r\n"
            + "\n".join(ais[:40]) + "\n").encode()
    cuts = sorted(rng.sample(range(1, len(data)), 40))
    chunks = [data[a:b] for a, b in zip([0, *cuts], [*cuts, len(data)], strict=True)]
    outputs = []
    for compiled_nmea, compiled_ais in ((True, True), (True, False), (False, True), (False, False)):
        if compiled_nmea and nmea_native.cnmea() is None:
            continue
        enabled, native.ENABLED = native.ENABLED, compiled_ais
        try:
            r = ReportLines("x", "x", native=compiled_nmea)
            text = "".join(r.feed(c) for c in chunks) + r.close()
            c = r.counters
            outputs.append((text, repr(c), r.printed))
        finally:
            native.ENABLED = enabled
    assert len(outputs) >= 2 and all(o == outputs[0] for o in outputs)
    assert '"class":"TPV"' in outputs[0][0] and "too_long=1" in outputs[0][1] and "garbage=1" in outputs[0][1]
