"""AIS through pyais: gpsd field names, multipart reassembly, never raising on garbage."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from devices.ais import encode
from devices.ais.assembler import AisAssembler
from devices.ais.decoder import AisDecoder
from devices.errors import ChecksumError, DeviceError, MalformedSentenceError, UnknownSentenceError
from devices.records import AisReport
from tests.devices.helpers import NOW, clock, lines

pytestmark = pytest.mark.usefixtures("ais_path")  # every test on the compiled and the Python path


def decoder(**kw) -> AisDecoder:
    return AisDecoder("ais0", clock=clock, **kw)


def decode_all(d: AisDecoder, sentences: list[str]) -> list[AisReport]:
    out = []
    for line in sentences:
        out.extend(d.decode(line))
    return out


def test_type1_known_sentence():
    [r] = decoder().decode("!AIVDM,1,1,,B,15M67FC000G?ufbE`FepT@3n00Sa,0*5C")
    assert (r.msg_type, r.mmsi, r.lat, r.lon, r.speed, r.course, r.heading) == (
        1, 366053209, 37.802118, -122.341618, 0.0, 219.3, 1.0)
    assert r.time == NOW and r.source == "ais0"
    f = r.fields
    assert f["type"] == 1 and f["status"] == 3 and f["second"] == 59 and f["turn"] == 0.0
    assert "msg_type" not in f and all(isinstance(k, str) for k in f)


def test_type5_two_parts():
    d = decoder()
    assert d.decode("!AIVDM,2,1,1,A,55?MbV02;H;s<HtKR20EHE:0@T4@Dn2222222216L961O5Gf0NSQEp6ClRp8,0*1C") == []
    [r] = d.decode("!AIVDM,2,2,1,A,88888888880,2*25")
    assert r.msg_type == 5 and r.mmsi == 351759000 and r.shipname == "EVER DIADEM"
    f = r.fields
    assert (f["callsign"], f["imo"], f["shiptype"], f["destination"]) == ("3FOF8", 9134270, 70, "NEW YORK")
    assert (f["to_bow"], f["to_stern"], f["to_port"], f["to_starboard"], f["draught"]) == (225, 70, 1, 31, 12.2)
    assert f["eta"] == "05-15T14:00Z"
    assert r.lat is None


def test_unavailable_values_keep_gpsd_sentinels_but_not_typed_attributes():
    [line] = encode.type1(413761231, 24.3, 109.4, None, None, None)
    [r] = decoder().decode(line)
    assert r.speed is r.course is r.heading is None
    f = r.fields
    assert (f["speed"], f["course"], f["heading"], f["turn"]) == ("nan", 360.0, 511, "nan")  # as gpsdecode prints
    [line] = encode.type18(413500777, 91.0, 181.0)
    [r] = decoder().decode(line)
    assert r.lat is r.lon is None and (r.fields["lat"], r.fields["lon"]) == (91.0, 181.0)
    assert r.fields["speed"] == 102.3 and r.speed is None


@pytest.mark.parametrize(
    ("sentences", "mtype", "expect"),
    [
        (encode.type1(413761230, 24.31234, 109.40712, 6.8, 47.3, 46, msg_type=3), 3,
         {"lat": 24.31234, "lon": 109.40712, "speed": 6.8, "course": 47.3, "heading": 46}),
        (encode.type18(413500777, 24.32, 109.4155, 12.4, 186.0, 185), 18,
         {"speed": 12.4, "cs": True, "heading": 185, "reserved": 0, "regional": 0}),
        (encode.type5(413700001, "XI JIANG KE 12", callsign="BXKE2", shiptype=60, destination="LIUZHOU"), 5,
         {"shipname": "XI JIANG KE 12", "callsign": "BXKE2", "shiptype": 60, "destination": "LIUZHOU"}),
        (encode.type24(413500777, shipname="QING SHUI 3"), 24, {"part": "A", "shipname": "QING SHUI 3"}),
        (encode.type24(413500777, callsign="BQS3", shiptype=37, vendorid="SMT"), 24,
         {"part": "B", "callsign": "BQS3", "shiptype": 37, "vendorid": "SMT"}),
    ],
)
def test_encode_decode_roundtrip(sentences, mtype, expect):
    [r] = decode_all(decoder(), sentences)
    assert r.msg_type == mtype
    for key, value in expect.items():
        assert r.fields[key] == (pytest.approx(value) if isinstance(value, float) else value), key


def test_type4_19_21_via_pyais():
    from pyais import encode_dict

    d = decoder()
    [r4] = decode_all(d, encode_dict({"type": 4, "mmsi": 4137001, "year": 2024, "month": 11, "day": 26, "hour": 3,
                                      "minute": 15, "second": 40, "lat": 24.3, "lon": 109.4}))
    assert r4.fields["timestamp"] == "2024-11-26T03:15:40Z" and r4.lat == 24.3
    [r19] = decode_all(d, encode_dict({"type": 19, "mmsi": 413500778, "speed": 5.0, "lat": 24.3, "lon": 109.4,
                                       "shipname": "LIU GANG 2", "ship_type": 52, "course": 90.0, "heading": 91}))
    assert r19.shipname == "LIU GANG 2" and r19.fields["shiptype"] == 52 and r19.heading == 91.0
    [r21] = decode_all(d, encode_dict({"type": 21, "mmsi": 994130001, "name": "LIUJIANG NO 3 BUOY",
                                       "lat": 24.31, "lon": 109.41, "aid_type": 22}))
    assert r21.fields["name"] == "LIUJIANG NO 3 BUOY" and r21.fields["aid_type"] == 22 and r21.lat == 24.31


def test_vdo_and_tag_block():
    [line] = encode.type1(413761230, 24.3, 109.4, 1.0, 2.0, 3, own=True)
    assert line.startswith("!AIVDO")
    [r] = decoder().decode(line)
    assert r.mmsi == 413761230
    [r] = decoder().decode("\\s:2573535,c:1671533231*08\\" + line)
    assert r.mmsi == 413761230


def test_errors():
    d = decoder()
    with pytest.raises(ChecksumError) as info:
        d.decode("!AIVDM,1,1,,B,15M67FC000G?ufbE`FepT@3n00Sa,0*5D")
    assert info.value.raw.endswith("*5D")
    with pytest.raises(ChecksumError):
        d.decode("!AIVDM,1,1,,B,15M67FC000G?ufbE`FepT@3n00Sa,0")
    assert decoder(require_checksum=False).decode("!AIVDM,1,1,,B,15M67FC000G?ufbE`FepT@3n00Sa,0")[0].mmsi == 366053209
    with pytest.raises(UnknownSentenceError):
        d.decode("$GPHDT,274.07,T*03")
    with pytest.raises(MalformedSentenceError):
        d.decode("!AIVDM,1,1,,B,,0*" + "{:02X}".format(_xor("AIVDM,1,1,,B,,0")))
    with pytest.raises(MalformedSentenceError):
        d.decode("!AIVDM,1,1,,B,15M67,7*" + "{:02X}".format(_xor("AIVDM,1,1,,B,15M67,7")))
    assert (d.counters.checksum_errors, d.counters.unknown, d.counters.malformed) == (2, 1, 2)


def test_fragments_with_more_fill_bits_than_payload_are_malformed():
    """Found by a million mutated lines: two empty fragments, the last with 5 fill bits, crashed decode."""
    d = decoder()
    first = "AIVDM,2,1,3,A,,0"
    assert d.decode(f"!{first}*{_xor(first):02X}") == []
    last = "AIVDM,2,2,3,A,,5"
    with pytest.raises(MalformedSentenceError, match="fill"):
        d.decode(f"!{last}*{_xor(last):02X}")
    assert d.counters.malformed == 1


def _xor(body: str) -> int:
    x = 0
    for c in body.encode():
        x ^= c
    return x


def test_interleaved_and_missing_fragments_in_the_log():
    d = decoder()
    out = []
    for line in lines("ais_liujiang.nmea"):
        try:
            out.extend(d.decode(line))
        except DeviceError:
            pass
    names = {r.mmsi: r.shipname for r in out if r.msg_type == 5}
    assert names == {413761230: "GUI PING HUO 1688", 413700001: "XI JIANG KE 12",
                     413700002: "LIU ZHOU HAI SHI 01", 351759000: "EVER DIADEM"}
    assert [r.msg_type for r in out].count(24) == 2
    assert d.counters.checksum_errors == 1
    assert d.counters.by_type[1] + d.counters.by_type[2] + d.counters.by_type[3] == 3
    assert len(d.assembler) == 1  # GUI GANG 77's first half waits ...
    d.assembler.expire(d.assembler.clock() + 60)  # ... until it times out
    assert d.incomplete == 1 and len(d.assembler) == 0


def test_assembler_timeout_and_replacement():
    now = [0.0]
    asm = AisAssembler(timeout=5.0, clock=lambda: now[0])
    d = AisDecoder("ais0", clock=clock, assembler=asm)
    a1, a2 = encode.type5(413700001, "A SHIP", seq_id=1, channel="A")
    assert d.decode(a1) == []
    now[0] = 6.0
    assert d.decode(a2) == []  # the first half expired: the second alone is dropped
    assert asm.incomplete == 2 and len(asm) == 0
    assert d.decode(a2) == [] and d.decode(a1) == []  # out of order: the second half cannot wait for the first
    assert asm.incomplete == 3
    assert d.decode(a2)[0].shipname == "A SHIP"
    assert d.decode(a1) == [] and d.decode(a1) == []  # a repeated first fragment replaces the old
    assert asm.incomplete == 4
    assert d.decode(a2)[0].shipname == "A SHIP"


def test_assembler_bounds_its_buffer():
    asm = AisAssembler(max_pending=4)
    d = AisDecoder("ais0", clock=clock, assembler=asm)
    for i in range(10):
        d.decode(encode.type5(413700000 + i, "X", seq_id=i, channel="AB"[i % 2])[0])
    assert len(asm) == 4 and asm.incomplete == 6


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(lines("ais_liujiang.nmea")) | st.text(max_size=90), max_size=20), st.randoms())
def test_garbage_and_shuffled_fragments_never_escape(sentences, rnd):
    d = decoder()
    rnd.shuffle(sentences)
    for line in sentences:
        if rnd.random() < 0.3 and line:
            i = rnd.randrange(len(line))
            line = line[:i] + line[i + 1 :]
        try:
            d.decode(line)
        except DeviceError:
            pass
