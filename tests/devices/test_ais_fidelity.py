"""What a check against a second, independent AIS decoder's test expectations found (docs/decode-fidelity.md).

Every sentence here is built in this file (bit fields, or pyais's encoder), on both decoder paths.
"""

from __future__ import annotations

import json
import random
import shutil
import subprocess

import pytest
from pyais import encode_dict

from devices.ais.bits import Bits
from devices.ais.decoder import AisDecoder, tenth_minute_position
from devices.gpsd_json import to_gpsd_json
from tests.devices.helpers import clock
from tests.devices.test_ais_gpsd import bits, sentences

pytestmark = pytest.mark.usefixtures("ais_path")  # every test on the compiled and the Python path

RADIO = (20, 0xFFFFF)  # a type 26 radio status of ones: the bits gpsd may or may not carry into the data


def one(lines: list[str]):  # noqa: ANN201 - an AisReport
    d = AisDecoder("ais0", clock=clock)
    out = [r for line in lines for r in d.decode(line)]
    assert len(out) == 1
    return out[0]


# --- type 26: the last byte of the data ------------------------------------------------------------


def type26(data: str, *, addressed: bool, structured: bool) -> str:
    head = bits((6, 26), (2, 0), (30, 413700026), (1, addressed), (1, structured))
    if addressed:
        head += bits((30, 413700027))
    if structured:
        head += bits((16, 0xABCD))
    return head + data + bits(RADIO)


def test_type26_addressed_data_ending_just_past_a_byte_carries_the_bits_up_to_the_next_payload_byte():
    # addressed: the data starts at bit 70, two bits before a byte boundary of the payload. 73 data bits end
    # at bit 142: gpsd's last data byte holds the last data bit and one radio bit (to bit 144), zeros after.
    r = one(sentences(type26("1" * 73, addressed=True, structured=False)))
    assert r.fields["data"] == "73:" + "ff" * 9 + "c0"
    # 74 bits end on the boundary: the last byte holds the two data bits only
    r = one(sentences(type26("1" * 72 + "01", addressed=True, structured=False)))
    assert r.fields["data"] == "74:" + "ff" * 9 + "40"
    # addressed and structured (data from bit 86): 9 bits end at 95, one radio bit to the boundary at 96
    r = one(sentences(type26("0" * 8 + "1", addressed=True, structured=True)))
    assert (r.fields["app_id"], r.fields["data"]) == (0xABCD, "9:00c0")


def test_type26_data_that_ends_far_from_the_boundary_keeps_the_bits_that_follow_it():
    # 77 bits from bit 70 end at 146: the last data byte (bits 142-149) lies before the boundary at 152
    r = one(sentences(type26("0" * 77, addressed=True, structured=False)))
    assert r.fields["data"] == "77:" + "00" * 9 + "07"
    # broadcast, unstructured: the data starts on a byte boundary (bit 40), the last byte is whole
    r = one(sentences(type26("1" + "0" * 72, addressed=False, structured=False)))
    assert r.fields["data"] == "73:80" + "00" * 8 + "7f"


def test_bits_data_whole_bytes_stops_at_the_payload_byte_boundary():
    p = Bits(int("1" * 40, 2), 40)
    assert p.data(6, 9, whole_bytes=True) == "9:ffc0"  # bits 6-14, then bit 15: the boundary is at 16
    assert p.data(6, 11, whole_bytes=True) == "11:ffff"  # ends at 17: the bits to 24 follow, 5 of them fit
    assert p.data(8, 9, whole_bytes=True) == "9:ffff"  # an aligned start keeps the whole last byte
    assert p.data(6, 9) == "9:ff80"  # without whole_bytes: zeros after the data, as before


@pytest.mark.skipif(shutil.which("gpsdecode") is None, reason="gpsd's gpsdecode is not installed")
def test_type26_of_any_length_and_form_is_what_gpsdecode_prints():
    rnd = random.Random(26)
    lines: list[str] = []
    for k in range(400):
        form = k % 4
        data = format(rnd.getrandbits(300), "0300b")[: rnd.randrange(1, 300)]
        lines += sentences(type26(data, addressed=bool(form & 1), structured=bool(form & 2)), "A", k % 10)
    theirs = subprocess.run(["gpsdecode"], input="\n".join(lines) + "\n", capture_output=True, text=True,
                            check=True).stdout.splitlines()
    d = AisDecoder("stdin", clock=clock)
    ours = [to_gpsd_json(r, "stdin") for line in lines for r in d.decode(line)]
    assert len(ours) == len(theirs) == 400
    for a, b in zip(theirs, ours, strict=True):
        assert json.loads(a) == b


# --- types 17 and 27: positions in 1/10 minute ------------------------------------------------------


def test_type27_position_keeps_its_tenth_minute_resolution_beside_gpsds_one_decimal():
    # 24deg 19.7'N 109deg 25.2'E (Liuzhou), sent by pyais's encoder
    lines = encode_dict({"type": 27, "mmsi": 413700027, "accuracy": 1, "raim": 0, "status": 0,
                         "lon": 109.42, "lat": 24.328333, "speed": 7, "course": 95, "gnss": 0}, radio_channel="B")
    r = one(lines)
    assert (r.fields["lat"], r.fields["lon"]) == (24.3, 109.4)  # gpsdecode's %.1f, unchanged
    assert (r.lat, r.lon) == (24.328333, 109.42)  # what the console plots: 1/10 minute, not 6 km off
    assert (r.speed, r.course) == (7.0, 95.0)


def test_type27_position_not_available_is_none():
    b = bits((6, 27), (2, 0), (30, 413700028), (1, 0), (1, 0), (4, 15), (18, 181 * 600), (17, 91 * 600), (6, 63),
             (9, 511), (1, 0), (1, 0))
    r = one(sentences(b))
    assert r.lat is r.lon is r.speed is r.course is None and (r.fields["lat"], r.fields["lon"]) == (91.0, 181.0)


def test_type17_position_keeps_its_tenth_minute_resolution():
    # a DGNSS broadcast from 24deg 19.3'S 54deg 36.8'W: 17 and 18 bits in 1/10 minute
    b = bits((6, 17), (2, 0), (30, 4130017), (2, 0), (18, -32768), (17, -14593), (5, 0)) + "1" * 16
    r = one(sentences(b))
    assert (r.fields["lat"], r.fields["lon"]) == (-24.3, -54.6)
    assert (r.lat, r.lon) == (-24.321667, -54.613333)
    assert tenth_minute_position(17, int(b, 2), len(b)) == (-24.321667, -54.613333)


def test_other_types_keep_the_fields_position():
    b = bits((6, 27), (2, 0), (30, 413700029), (1, 0), (1, 0), (4, 0), (18, 65652), (17, 14597), (6, 3), (9, 10),
             (1, 0), (1, 0))
    r27 = one(sentences(b))
    r1 = one(encode_dict({"type": 1, "mmsi": 413700030, "lon": 109.42, "lat": 24.328333, "speed": 3.0,
                          "course": 10.0}))
    assert (r27.lat, r27.lon) == (r1.lat, r1.lon) == (24.328333, 109.42)
    assert (r1.fields["lat"], r1.fields["lon"]) == (24.328333, 109.42)
