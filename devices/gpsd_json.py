"""Records to gpsd's JSON vocabulary (TPV, SKY, AIS, ATT), the reverse of devices.gpsd.

gpsd leaves out what it does not know, and so does this: a None field is omitted.
`report_line` writes a record as one line of JSON; TPV and SKY numbers carry the decimals
gpsd 3.22 prints (``"lat":24.326410000``, ``"altHAE":69.7000``, ``"hdop":0.78``).
https://gpsd.gitlab.io/gpsd/gpsd_json.html
"""

from __future__ import annotations

import json
import time

from devices.records import (
    AisReport,
    Fix,
    HeadingReport,
    Record,
    SkyReport,
    SkyView,
    TimeReport,
    TpvReport,
)

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


def _tpv_report(tpv: TpvReport, device: str | None) -> dict[str, object]:
    """gpsd's TPV of one cycle: a position only with a fix (mode 2+), the geoid separation in 3D."""
    d: dict[str, object] = {"class": "TPV"}
    _put(d, "device", device)
    if tpv.status is not None and tpv.status > 1:
        d["status"] = tpv.status
    d["mode"] = tpv.mode
    if tpv.time is not None:
        d["time"] = iso_time(tpv.time)
    if tpv.mode >= 2:
        _put(d, "lat", tpv.lat)
        _put(d, "lon", tpv.lon)
        _put(d, "altHAE", tpv.alt_hae)
        _put(d, "altMSL", tpv.alt_msl)
        _put(d, "alt", tpv.alt_msl)  # gpsd 3.22 still sends the old name, as MSL
        _put(d, "track", tpv.track)
        _put(d, "speed", tpv.speed)
        if tpv.mode >= 3:
            _put(d, "geoidSep", tpv.geoid_sep)
    return d


def _sky_view(sky: SkyView, device: str | None) -> dict[str, object]:
    d: dict[str, object] = {"class": "SKY"}
    _put(d, "device", device)
    _put(d, "vdop", sky.vdop)
    _put(d, "hdop", sky.hdop)
    _put(d, "pdop", sky.pdop)
    d["nSat"] = len(sky.satellites)
    d["uSat"] = sum(1 for s in sky.satellites if s.used)
    d["satellites"] = [{"PRN": s.prn, "el": s.el, "az": s.az, "ss": s.ss, "used": s.used, "gnssid": s.gnssid,
                        "svid": s.svid} for s in sky.satellites]
    return d


_dumps = json.JSONEncoder(separators=(",", ":"), check_circular=False).encode


def _tpv_text(t: TpvReport, device: str | None) -> str:
    """`_tpv_report` written out with gpsd's decimals (lat/lon 9, altitudes and track 4, speed 3)."""
    parts = ['{"class":"TPV"']
    if device is not None:
        parts.append(f'"device":{_dumps(device)}')
    if t.status is not None and t.status > 1:
        parts.append(f'"status":{t.status}')
    parts.append(f'"mode":{t.mode}')
    if t.time is not None:
        parts.append(f'"time":"{iso_time(t.time)}"')
    if t.mode >= 2:
        if t.lat is not None:
            parts.append(f'"lat":{t.lat:.9f}')
        if t.lon is not None:
            parts.append(f'"lon":{t.lon:.9f}')
        if t.alt_hae is not None:
            parts.append(f'"altHAE":{t.alt_hae:.4f}')
        if t.alt_msl is not None:
            parts.append(f'"altMSL":{t.alt_msl:.4f},"alt":{t.alt_msl:.4f}')
        if t.track is not None:
            parts.append(f'"track":{t.track:.4f}')
        if t.speed is not None:
            parts.append(f'"speed":{t.speed:.3f}')
        if t.mode >= 3 and t.geoid_sep is not None:
            parts.append(f'"geoidSep":{t.geoid_sep:.3f}')
    return ",".join(parts) + "}"


def _sky_text(sky: SkyView, device: str | None) -> str:
    """`_sky_view` written out with gpsd's decimals (DOPs 2, elevation/azimuth/signal 1)."""
    parts = ['{"class":"SKY"']
    if device is not None:
        parts.append(f'"device":{_dumps(device)}')
    for key, value in (("vdop", sky.vdop), ("hdop", sky.hdop), ("pdop", sky.pdop)):
        if value is not None:
            parts.append(f'"{key}":{value:.2f}')
    sats = sky.satellites
    parts.append(f'"nSat":{len(sats)}')
    parts.append(f'"uSat":{sum(1 for s in sats if s.used)}')
    parts.append('"satellites":[' + ",".join(
        f'{{"PRN":{s.prn},"el":{s.el:.1f},"az":{s.az:.1f},"ss":{s.ss:.1f},"used":{"true" if s.used else "false"},'
        f'"gnssid":{s.gnssid},"svid":{s.svid}}}' for s in sats) + "]")
    return ",".join(parts) + "}"


def report_line(record: Record, device: str | None = None) -> str:
    """One record as one line of gpsd JSON (no newline); TPV and SKY with gpsd's decimals.

    :raises TypeError: not a record.
    """
    if isinstance(record, TpvReport):
        return _tpv_text(record, device)
    if isinstance(record, SkyView):
        return _sky_text(record, device)
    if isinstance(record, HeadingReport) and record.time is None:
        head = '{"class":"ATT"' + (f',"device":{_dumps(device)}' if device is not None else "")
        return f'{head},"heading":{record.heading:.3f}}}'
    return _dumps(to_gpsd_json(record, device))


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
    (time, no fix: what gpsd reports then), HeadingReport -> ATT, TpvReport -> TPV and
    SkyView -> SKY (one NMEA cycle as gpsd reports it, `devices.nmea.cycle`).

    :raises TypeError: not a record.
    """
    if isinstance(record, TpvReport):
        return _tpv_report(record, device)
    if isinstance(record, SkyView):
        return _sky_view(record, device)
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
