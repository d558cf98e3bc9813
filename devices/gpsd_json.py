"""Records to gpsd's JSON vocabulary (TPV, SKY, AIS, ATT), the reverse of devices.gpsd.

gpsd leaves out what it does not know, and so does this: a None field is omitted.
https://gpsd.gitlab.io/gpsd/gpsd_json.html
"""

from __future__ import annotations

import time

from devices.records import AisReport, Fix, HeadingReport, Record, SkyReport, TimeReport

_day_cache: dict[int, str] = {}


def iso_time(t: float) -> str:
    """UTC epoch seconds to gpsd's ISO 8601: ``2024-11-26T11:20:00.250Z``."""
    ms_total = round(t * 1000)
    secs, ms = divmod(ms_total, 1000)
    day, sod = divmod(secs, 86400)
    prefix = _day_cache.get(day)
    if prefix is None:
        prefix = time.strftime("%Y-%m-%dT", time.gmtime(day * 86400))
        if len(_day_cache) > 1024:
            _day_cache.clear()
        _day_cache[day] = prefix
    h, rem = divmod(sod, 3600)
    m, s = divmod(rem, 60)
    return f"{prefix}{h:02d}:{m:02d}:{s:02d}.{ms:03d}Z"


def _put(d: dict[str, object], key: str, value: object) -> None:
    if value is not None:
        d[key] = value


def _tpv(fix: Fix, device: str | None) -> dict[str, object]:
    d: dict[str, object] = {"class": "TPV"}
    _put(d, "device", device)
    d["time"] = iso_time(fix.time)
    d["lat"] = fix.lat
    d["lon"] = fix.lon
    _put(d, "alt", fix.alt)
    _put(d, "speed", fix.speed)
    _put(d, "track", fix.course)
    _put(d, "heading", fix.heading)
    d["mode"] = fix.mode
    return d


def _sky(sky: SkyReport, device: str | None) -> dict[str, object]:
    d: dict[str, object] = {"class": "SKY"}
    _put(d, "device", device)
    if sky.time is not None:
        d["time"] = iso_time(sky.time)
    _put(d, "hdop", sky.hdop)
    _put(d, "vdop", sky.vdop)
    _put(d, "pdop", sky.pdop)
    if sky.satellites:
        d["nSat"] = len(sky.satellites)
        d["uSat"] = sum(1 for s in sky.satellites if s.used)
        sats = []
        for s in sky.satellites:
            e: dict[str, object] = {"PRN": s.prn}
            _put(e, "el", s.elevation)
            _put(e, "az", s.azimuth)
            _put(e, "ss", s.snr)
            e["used"] = s.used
            sats.append(e)
        d["satellites"] = sats
    else:
        d["uSat"] = len(sky.used)
    return d


def _ais(ais: AisReport, device: str | None) -> dict[str, object]:
    """gpsd's AIS object: the decoder's fields are gpsd's members already (`devices.ais.gpsd`)."""
    d: dict[str, object] = {"class": "AIS"}
    _put(d, "device", device)
    if ais.fields:
        d.update(ais.fields)
        return d
    # a report built by hand, not by the decoder: what the typed attributes say
    d["type"] = ais.msg_type
    d["mmsi"] = ais.mmsi
    d["scaled"] = True
    for key, value in (("lat", ais.lat), ("lon", ais.lon), ("speed", ais.speed), ("course", ais.course),
                       ("heading", ais.heading), ("shipname", ais.shipname)):
        _put(d, key, value)
    return d


def to_gpsd_json(record: Record, device: str | None = None) -> dict[str, object]:
    """One record as a gpsd JSON object (a dict ready for ``json.dumps``).

    Fix -> TPV, SkyReport -> SKY, AisReport -> AIS, TimeReport -> TPV with mode 1
    (time, no fix: what gpsd reports then), HeadingReport -> ATT.

    :raises TypeError: not a record.
    """
    if isinstance(record, Fix):
        return _tpv(record, device)
    if isinstance(record, SkyReport):
        return _sky(record, device)
    if isinstance(record, AisReport):
        return _ais(record, device)
    if isinstance(record, TimeReport):
        d: dict[str, object] = {"class": "TPV"}
        _put(d, "device", device)
        d["time"] = iso_time(record.time)
        d["mode"] = 1
        return d
    if isinstance(record, HeadingReport):
        d = {"class": "ATT"}
        _put(d, "device", device)
        if record.time is not None:
            d["time"] = iso_time(record.time)
        d["heading"] = record.heading
        return d
    raise TypeError(f"not a record: {type(record).__name__}")
