"""AIS payload bits to gpsd's scaled AIS JSON (what ``gpsdecode`` 3.22 prints), one table per type.

`render(value, nbits)` takes a whole message's payload as one integer (first bit most
significant, as pyais's bit vector holds it) and returns the report's members after
``class``/``device``, in gpsd's order, with gpsd's names, units and quirks:

- positions in degrees as ``%.6f`` (``%.1f`` for the 1/10-minute types 17 and 27, strings
  for the areas of types 22 and 23); speeds in knots, courses in degrees as ``%.1f``.
- "not available" values stay as the AIS sentinels (lat 91, lon 181, heading 511, course
  360.0), except the type 1-3 strings ``turn`` "nan"/"fastleft"/"fastright" and ``speed``
  "nan"/"fast"; a turn prints as the unsigned ``(raw / 4.733)²`` gpsd prints.
- text stops at the first ``@`` and loses trailing blanks; ``*_text`` legends beside codes.
- binary payloads (types 6, 8, 17, 25, 26) as ``"bits:hex"``, except the application-specific
  contents (type 6/8 DAC/FID pairs) gpsd names the members of: those come from the tables in
  `devices.ais.apps` (IMO 236/289 DAC 1, inland DAC 200, lighthouse DAC 235/250).

A payload of a length gpsd refuses for its type raises `RenderError` (gpsd prints nothing
for it either). Bits past the end of a short payload read as zeros (gpsd's buffer), except the radio
status of types 1-3, which gpsd reads as the bits that are there.
Type 24 is rendered per part (`render` returns part A's or part B's members with
``"part"``); `merge24` makes the combined report gpsd prints when both parts arrived.
"""

from __future__ import annotations

from collections.abc import Callable

from devices.ais.bits import Bits
from devices.ais.legends import AID_TYPE, EPFD, NAV_STATUS, SHIP_TYPE, STATION_TYPE, turn

__all__ = ["AID_TYPE", "EPFD", "NAV_STATUS", "SHIP_TYPE", "STATION_TYPE", "Bits", "RenderError", "merge24", "render",
           "turn"]

class RenderError(ValueError):
    """A payload gpsd would not report (unknown type, length out of range, bad part number)."""


def _deg6(raw: int) -> float:
    return float(f"{raw / 600000.0:.6f}")


def _deg1(raw: int) -> float:
    return float(f"{raw / 600.0:.1f}")


def _degstr(raw: int) -> str:
    return f"{raw / 600.0:.6f}"


def _tenth(raw: int) -> float:
    return float(f"{raw / 10.0:.1f}")


def _check(n: int, lo: int, hi: int = 1_000_000) -> None:
    if not lo <= n <= hi:
        raise RenderError(f"size {n} bits out of range {lo}..{hi}")


def _t123(p: Bits, d: dict[str, object]) -> None:
    _check(p.n, 163)
    u = p.u
    status = u(38, 4)
    speed = u(50, 10)
    d["status"] = status
    d["status_text"] = NAV_STATUS[status]
    d["turn"] = turn(p.i(42, 8))
    d["speed"] = "nan" if speed == 1023 else "fast" if speed == 1022 else speed / 10.0
    d["accuracy"] = p.b(60)
    d["lon"] = _deg6(p.i(61, 28))
    d["lat"] = _deg6(p.i(89, 27))
    d["course"] = u(116, 12) / 10.0
    d["heading"] = u(128, 9)
    d["second"] = u(137, 6)
    d["maneuver"] = u(143, 2)
    d["raim"] = p.b(148)
    d["radio"] = p.tail(149, 19)


def _t4(p: Bits, d: dict[str, object]) -> None:
    _check(p.n, 168)
    u = p.u
    d["timestamp"] = f"{u(38, 14):04d}-{u(52, 4):02d}-{u(56, 5):02d}T{u(61, 5):02d}:{u(66, 6):02d}:{u(72, 6):02d}Z"
    d["accuracy"] = p.b(78)
    d["lon"] = _deg6(p.i(79, 28))
    d["lat"] = _deg6(p.i(107, 27))
    epfd = u(134, 4)
    d["epfd"] = epfd
    d["epfd_text"] = EPFD[epfd]
    d["raim"] = p.b(148)
    d["radio"] = u(149, 19)


def _t5(p: Bits, d: dict[str, object]) -> None:
    _check(p.n, 420)
    u = p.u
    d["imo"] = u(40, 30)
    d["ais_version"] = u(38, 2)
    d["callsign"] = p.text(70, 7)
    d["shipname"] = p.text(112, 20)
    _ship_type_and_size(p, d, 232)
    d["eta"] = f"{u(274, 4):02d}-{u(278, 5):02d}T{u(283, 5):02d}:{u(288, 6):02d}Z"
    d["draught"] = _tenth(u(294, 8))
    d["destination"] = p.text(302, 20)
    d["dte"] = u(422, 1)


def _t6(p: Bits, d: dict[str, object]) -> None:
    _check(p.n, 88)
    d["seqno"] = p.u(38, 2)
    d["dest_mmsi"] = p.u(40, 30)
    d["retransmit"] = p.b(70)
    dac = p.u(72, 10)
    fid = p.u(82, 6)
    d["dac"] = dac
    d["fid"] = fid
    _application(p, d, 6, dac, fid, 88)


def _t7(p: Bits, d: dict[str, object]) -> None:
    _check(p.n, 72, 168)
    for k in range(4):
        d[f"mmsi{k + 1}"] = p.u(40 + 32 * k, 30)


def _t8(p: Bits, d: dict[str, object]) -> None:
    _check(p.n, 56)
    dac = p.u(40, 10)
    fid = p.u(50, 6)
    d["dac"] = dac
    d["fid"] = fid
    _application(p, d, 8, dac, fid, 56)


def _application(p: Bits, d: dict[str, object], mtype: int, dac: int, fid: int, off: int) -> None:
    """The named members gpsd gives this DAC/FID (`devices.ais.apps`), else ``data`` from ``off``.

    An unknown pair, a length gpsd does not decode for the pair, a payload failing gpsd's range
    checks for it, or a table that fails (a bug, counted by the decoder) all give ``data``.
    """
    from devices.ais import apps  # the application tables: imported by the first type 6 or 8

    app = apps.find(mtype, dac, fid, p)
    if app is not None and apps.decode(app, p, d):
        return
    d["data"] = p.data(off)


def _t9(p: Bits, d: dict[str, object]) -> None:
    _check(p.n, 168)
    u = p.u
    alt = u(38, 12)
    speed = u(50, 10)
    d["alt"] = "nan" if alt == 4095 else "high" if alt == 4094 else alt
    d["speed"] = "nan" if speed == 1023 else "fast" if speed == 1022 else speed
    d["accuracy"] = p.b(60)
    d["lon"] = _deg6(p.i(61, 28))
    d["lat"] = _deg6(p.i(89, 27))
    d["course"] = u(116, 12) / 10.0
    d["second"] = u(128, 6)
    d["regional"] = u(134, 8)
    d["dte"] = u(142, 1)
    d["raim"] = p.b(147)
    d["radio"] = u(148, 20)


def _t10(p: Bits, d: dict[str, object]) -> None:
    _check(p.n, 72)
    d["dest_mmsi"] = p.u(40, 30)


def _t12(p: Bits, d: dict[str, object]) -> None:
    _check(p.n, 72)
    d["seqno"] = p.u(38, 2)
    d["dest_mmsi"] = p.u(40, 30)
    d["retransmit"] = p.b(70)
    d["text"] = p.text(72, (p.n - 72) // 6)


def _t14(p: Bits, d: dict[str, object]) -> None:
    _check(p.n, 40)
    d["text"] = p.text(40, (p.n - 40) // 6)


def _t15(p: Bits, d: dict[str, object]) -> None:
    _check(p.n, 88, 168)
    u = p.u
    d["mmsi1"] = u(40, 30)
    d["type1_1"] = u(70, 6)
    d["offset1_1"] = u(76, 12)
    d["type1_2"] = u(90, 6)
    d["offset1_2"] = u(96, 12)
    d["mmsi2"] = u(110, 30)
    d["type2_1"] = u(140, 6)
    d["offset2_1"] = u(146, 12)


def _t16(p: Bits, d: dict[str, object]) -> None:
    _check(p.n, 96, 168)
    u = p.u
    d["mmsi1"] = u(40, 30)
    d["offset1"] = u(70, 12)
    d["increment1"] = u(82, 10)
    second = p.n >= 144  # the 96-bit form addresses one station: gpsd reports zeros for the second
    d["mmsi2"] = u(92, 30) if second else 0
    d["offset2"] = u(122, 12) if second else 0
    d["increment2"] = u(134, 10) if second else 0


def _t17(p: Bits, d: dict[str, object]) -> None:
    _check(p.n, 80, 816)
    d["lon"] = _deg1(p.i(40, 18))
    d["lat"] = _deg1(p.i(58, 17))
    d["data"] = p.data(80)


def _ship_type_and_size(p: Bits, d: dict[str, object], at: int) -> None:
    """Ship type, dimensions to the reference point and position fixing device: one 42-bit block from `at`,
    the same in a type 5 (at 232) and a type 19 (at 263)."""
    u = p.u
    shiptype = u(at, 8)
    d["shiptype"] = shiptype
    d["shiptype_text"] = SHIP_TYPE[shiptype]
    d["to_bow"] = u(at + 8, 9)
    d["to_stern"] = u(at + 17, 9)
    d["to_port"] = u(at + 26, 6)
    d["to_starboard"] = u(at + 32, 6)
    epfd = u(at + 38, 4)
    d["epfd"] = epfd
    d["epfd_text"] = EPFD[epfd]


def _class_b_position(p: Bits, d: dict[str, object], regional_bits: int) -> None:
    """Bits 38-138 (and the regional field after them), shared by class B reports (types 18 and 19)."""
    u = p.u
    d["reserved"] = u(38, 8)
    d["speed"] = u(46, 10) / 10.0
    d["accuracy"] = p.b(56)
    d["lon"] = _deg6(p.i(57, 28))
    d["lat"] = _deg6(p.i(85, 27))
    d["course"] = u(112, 12) / 10.0
    d["heading"] = u(124, 9)
    d["second"] = u(133, 6)
    d["regional"] = u(139, regional_bits)


def _t18(p: Bits, d: dict[str, object]) -> None:
    _check(p.n, 168)
    u = p.u
    _class_b_position(p, d, 2)
    d["cs"] = p.b(141)
    d["display"] = p.b(142)
    d["dsc"] = p.b(143)
    d["band"] = p.b(144)
    d["msg22"] = p.b(145)
    d["raim"] = p.b(147)
    d["radio"] = u(148, 20)


def _t19(p: Bits, d: dict[str, object]) -> None:
    _check(p.n, 312)
    u = p.u
    _class_b_position(p, d, 4)
    d["shipname"] = p.text(143, 20)
    _ship_type_and_size(p, d, 263)
    d["raim"] = p.b(305)
    d["dte"] = u(306, 1)
    d["assigned"] = p.b(307)


def _t20(p: Bits, d: dict[str, object]) -> None:
    _check(p.n, 72, 186)
    u = p.u
    for k in range(4):
        off = 40 + 30 * k
        d[f"offset{k + 1}"] = u(off, 12)
        d[f"number{k + 1}"] = u(off + 12, 4)
        d[f"timeout{k + 1}"] = u(off + 16, 3)
        d[f"increment{k + 1}"] = u(off + 19, 11)


def _t21(p: Bits, d: dict[str, object]) -> None:
    _check(p.n, 272, 368)
    u = p.u
    aid = u(38, 5)
    d["aid_type"] = aid
    d["aid_type_text"] = AID_TYPE[aid]
    name = p.raw_text(43, 20)
    if p.n > 272 and len(name) == 20:
        name += p.raw_text(272, (p.n - 272) // 6)
    d["name"] = name.rstrip(" ")
    d["lon"] = _deg6(p.i(164, 28))
    d["lat"] = _deg6(p.i(192, 27))
    d["accuracy"] = p.b(163)
    d["to_bow"] = u(219, 9)
    d["to_stern"] = u(228, 9)
    d["to_port"] = u(237, 6)
    d["to_starboard"] = u(243, 6)
    epfd = u(249, 4)
    d["epfd"] = epfd
    d["epfd_text"] = EPFD[epfd]
    d["second"] = u(253, 6)
    d["regional"] = u(260, 8)
    d["off_position"] = p.b(259)
    d["raim"] = p.b(268)
    d["virtual_aid"] = p.b(269)


def _t22(p: Bits, d: dict[str, object]) -> None:
    _check(p.n, 168)
    u = p.u
    d["channel_a"] = u(40, 12)
    d["channel_b"] = u(52, 12)
    d["txrx"] = u(64, 4)
    d["power"] = p.b(68)
    addressed = p.b(139)
    if addressed:
        d["dest1"] = u(69, 30)
        d["dest2"] = u(104, 30)
    else:
        d["ne_lon"] = _degstr(p.i(69, 18))
        d["ne_lat"] = _degstr(p.i(87, 17))
        d["sw_lon"] = _degstr(p.i(104, 18))
        d["sw_lat"] = _degstr(p.i(122, 17))
    d["addressed"] = addressed
    d["band_a"] = p.b(140)
    d["band_b"] = p.b(141)
    d["zonesize"] = u(142, 3)


def _t23(p: Bits, d: dict[str, object]) -> None:
    _check(p.n, 160)
    u = p.u
    d["ne_lon"] = _degstr(p.i(40, 18))
    d["ne_lat"] = _degstr(p.i(58, 17))
    d["sw_lon"] = _degstr(p.i(75, 18))
    d["sw_lat"] = _degstr(p.i(93, 17))
    station = u(110, 4)
    d["stationtype"] = station
    d["stationtype_text"] = STATION_TYPE[station]
    shiptype = u(114, 8)
    d["shiptype"] = shiptype
    d["shiptype_text"] = SHIP_TYPE[shiptype]
    d["interval"] = u(146, 4)
    d["quiet"] = u(150, 4)


def _t24(p: Bits, d: dict[str, object]) -> None:
    part = p.u(38, 2)
    if part == 0:
        _check(p.n, 160, 168)
        d["part"] = "A"
        d["shipname"] = p.text(40, 20)
        return
    if part != 1:
        raise RenderError(f"type 24 part number {part}")
    _check(p.n, 168)
    u = p.u
    d["part"] = "B"
    shiptype = u(40, 8)
    d["shiptype"] = shiptype
    d["shiptype_text"] = SHIP_TYPE[shiptype]
    d["vendorid"] = p.text(48, 7)
    d["model"] = u(66, 4)
    d["serial"] = u(70, 20)
    d["callsign"] = p.text(90, 7)
    if u(8, 30) // 10_000_000 == 98:  # auxiliary craft: the mother ship instead of dimensions
        d["mothership_mmsi"] = u(132, 30)
    else:
        d["to_bow"] = u(132, 9)
        d["to_stern"] = u(141, 9)
        d["to_port"] = u(150, 6)
        d["to_starboard"] = u(156, 6)


def _t25_26(p: Bits, d: dict[str, object], radio: bool) -> None:
    addressed = p.b(38)
    structured = p.b(39)
    off = 40 + (30 if addressed else 0) + (16 if structured else 0)
    end = p.n - 20 if radio else p.n
    if radio:
        _check(p.n, off + 20, 1004)
    else:
        _check(p.n, off, 168)
    d["addressed"] = addressed
    d["structured"] = structured
    d["dest_mmsi"] = p.u(40, 30) if addressed else 0
    d["app_id"] = p.u(70 if addressed else 40, 16) if structured else 0
    d["data"] = p.data(off, end - off, whole_bytes=radio)
    if radio:
        d["radio"] = 0  # gpsd 3.22 never fills it in


def _t27(p: Bits, d: dict[str, object]) -> None:
    if p.n not in (96, 168):
        raise RenderError(f"size {p.n} bits is neither 96 nor 168")
    d["status"] = NAV_STATUS[p.u(40, 4)]
    d["accuracy"] = p.b(38)
    d["lon"] = _deg1(p.i(44, 18))
    d["lat"] = _deg1(p.i(62, 17))
    d["speed"] = p.u(79, 6)
    d["course"] = p.u(85, 9)
    d["raim"] = p.b(39)
    d["gnss"] = p.b(94)


_RENDER: dict[int, Callable[[Bits, dict[str, object]], None]] = {
    1: _t123, 2: _t123, 3: _t123, 4: _t4, 5: _t5, 6: _t6, 7: _t7, 8: _t8, 9: _t9, 10: _t10, 11: _t4,
    12: _t12, 13: _t7, 14: _t14, 15: _t15, 16: _t16, 17: _t17, 18: _t18, 19: _t19, 20: _t20, 21: _t21,
    22: _t22, 23: _t23, 24: _t24, 25: lambda p, d: _t25_26(p, d, False), 26: lambda p, d: _t25_26(p, d, True),
    27: _t27,
}


def render(value: int, nbits: int) -> dict[str, object]:
    """The gpsd AIS members of one whole payload (``type`` ... ); raises RenderError."""
    p = Bits(value, nbits)
    if nbits < 38:
        raise RenderError(f"payload of {nbits} bits has no header")
    mtype = p.u(0, 6)
    fill = _RENDER.get(mtype)
    if fill is None:
        raise RenderError(f"AIS message type {mtype} not decoded")
    d: dict[str, object] = {"type": mtype, "repeat": p.u(6, 2), "mmsi": p.u(8, 30), "scaled": True}
    fill(p, d)
    return d


def merge24(part_a: dict[str, object], part_b: dict[str, object]) -> dict[str, object]:
    """The combined type 24 report: part B's members with part A's ship name first."""
    d = {k: v for k, v in part_b.items() if k != "part"}
    out: dict[str, object] = {}
    for k, v in d.items():
        if k == "shiptype":
            out["shipname"] = part_a.get("shipname", "")
        out[k] = v
    return out
