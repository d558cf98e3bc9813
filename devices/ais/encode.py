"""Render ``!AIVDM`` sentences for simulators, through pyais's encoder.

Position reports (types 1 and 18) and static data (types 5 and 24) take the values in
gpsd's vocabulary and units (degrees, knots) and return the sentence list, with ``!``
and checksum and without line endings. Type 5 usually needs two sentences.
"""

from __future__ import annotations

from typing import Any

from pyais import encode_dict

_MAX_SEQ = 10


def _send(data: dict[str, Any], channel: str, seq_id: int | None, own: bool) -> list[str]:
    return encode_dict(data, talker_id="AI", sentence_type="VDO" if own else "VDM",
                       radio_channel=channel, seq_id=seq_id)


def type1(
    mmsi: int,
    lat: float,
    lon: float,
    speed: float | None = None,
    course: float | None = None,
    heading: int | None = None,
    *,
    status: int = 0,
    second: int = 60,
    msg_type: int = 1,
    channel: str = "A",
    own: bool = False,
) -> list[str]:
    """Class A position report (type 1, 2 or 3); speed in knots, None = not available."""
    data: dict[str, Any] = {
        "type": msg_type, "msg_type": msg_type, "mmsi": mmsi, "status": status, "turn": -128,
        "speed": 102.3 if speed is None else speed, "lat": lat, "lon": lon,
        "course": 360.0 if course is None else course, "heading": 511 if heading is None else heading,
        "second": second, "accuracy": True,
    }
    return _send(data, channel, None, own)


def type18(
    mmsi: int,
    lat: float,
    lon: float,
    speed: float | None = None,
    course: float | None = None,
    heading: int | None = None,
    *,
    second: int = 60,
    channel: str = "B",
    own: bool = False,
) -> list[str]:
    """Class B position report."""
    data: dict[str, Any] = {
        "type": 18, "mmsi": mmsi, "speed": 102.3 if speed is None else speed, "lat": lat, "lon": lon,
        "course": 360.0 if course is None else course, "heading": 511 if heading is None else heading,
        "second": second, "cs": True,
    }
    return _send(data, channel, None, own)


def type5(
    mmsi: int,
    shipname: str,
    *,
    callsign: str = "",
    imo: int = 0,
    shiptype: int = 0,
    destination: str = "",
    to_bow: int = 0,
    to_stern: int = 0,
    to_port: int = 0,
    to_starboard: int = 0,
    draught: float = 0.0,
    eta: tuple[int, int, int, int] = (0, 0, 24, 60),  # month, day, hour, minute: not available
    seq_id: int = 1,
    channel: str = "A",
    own: bool = False,
) -> list[str]:
    """Class A static and voyage data (two sentences)."""
    month, day, hour, minute = eta
    data: dict[str, Any] = {
        "type": 5, "mmsi": mmsi, "ais_version": 0, "imo": imo, "callsign": callsign, "shipname": shipname,
        "ship_type": shiptype, "to_bow": to_bow, "to_stern": to_stern, "to_port": to_port,
        "to_starboard": to_starboard, "epfd": 1, "month": month, "day": day, "hour": hour, "minute": minute,
        "draught": draught, "destination": destination, "dte": False,
    }
    return _send(data, channel, seq_id % _MAX_SEQ, own)


def type24(
    mmsi: int,
    *,
    shipname: str | None = None,
    callsign: str = "",
    shiptype: int = 0,
    vendorid: str = "",
    to_bow: int = 0,
    to_stern: int = 0,
    to_port: int = 0,
    to_starboard: int = 0,
    channel: str = "B",
    own: bool = False,
) -> list[str]:
    """Class B static data: part A (name) if ``shipname`` is given, else part B."""
    if shipname is not None:
        data: dict[str, Any] = {"type": 24, "mmsi": mmsi, "partno": 0, "shipname": shipname}
    else:
        data = {
            "type": 24, "mmsi": mmsi, "partno": 1, "ship_type": shiptype, "vendorid": vendorid,
            "callsign": callsign, "to_bow": to_bow, "to_stern": to_stern, "to_port": to_port,
            "to_starboard": to_starboard,
        }
    return _send(data, channel, None, own)
