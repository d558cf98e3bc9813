"""gpsd's satellite rules for NMEA: how GSA and GSV build the satellite view a SKY reports.

* GSV groups of every talker accumulate into one view (GP, GL, GA, GB/BD, QZ, NMEA 4.10
  signal ids); PRNs are numbered as gpsd numbers them (`nmea_prn`: GLONASS 65-96, Galileo
  301-336, BeiDou 401-437, SBAS, QZSS); a satellite is used if the cycle's GSA lists it and its
  signal strength is not 0. A SKY follows each complete group, except a GPS group once other
  constellations have been seen (they follow it). A group whose azimuths are all 0 is
  dropped (a SiRF quirk).
* GSA gives the fix type, the satellites used and the DOPs; a receiver that sends one GSA per
  constellation (GN talker, NMEA 4.10 system id) lists them in a run.
"""

from __future__ import annotations

from devices.nmea.receiver import DOP, MODE, SAT, Fix, ReceiverState, Sentence, atoi, num
from devices.records import SkySatellite

# (first id, last id, PRN = id + this, gnssid, svid = id + this); ids outside these are unknown (PRN 0)
_RANGES = ((33, 64, 0, 1, 87), (65, 96, 0, 6, -64), (120, 158, 0, 1, 0), (173, 182, 0, 4, -172),
           (193, 197, 0, 5, -192), (201, 237, 200, 3, -200), (301, 356, 0, 2, -300), (401, 437, 0, 3, -400))


def nmea_prn(talker: str, n: int) -> tuple[int, int, int]:
    """gpsd's numbering of NMEA satellite id ``n`` from ``talker``: (PRN, gnssid, svid); PRN 0 if unknown.

    Ids 1-32 depend on the talker (GA Galileo 301+, GB/BD/PQ BeiDou 401+, GL GLONASS 65+,
    QZ QZSS 193+, else GPS); larger ids have fixed ranges (SBAS 33-64 and 120-158, GLONASS
    65-96, IMES 173-182, QZSS 193-197, BeiDou 201-237 moved to 401-437, Galileo 301-356,
    BeiDou 401-437).
    """
    if n < 1:
        return 0, 0, 0
    if n <= 32:
        t = talker[1:2]
        if talker[:1] == "G":
            if t == "A":
                return 300 + n, 2, n
            if t == "B":
                return 400 + n, 3, n
            if t == "L":
                return 64 + n, 6, n
        elif talker in ("BD", "PQ"):
            return 400 + n, 3, n
        elif talker == "QZ":
            return 192 + n, 5, n
        return n, 0, n
    for low, high, prn_shift, gnssid, svid_shift in _RANGES:
        if low <= n <= high:
            return n + prn_shift, gnssid, n + svid_shift
    return 0, 0, 0


def gsa(a: ReceiverState, s: Sentence, new: Fix) -> int:
    # A/M, fix type, 12 (or more) PRNs, PDOP, HDOP, VDOP [, NMEA 4.10 system id]
    sky = a.sky
    talker = s.tag[1:2]
    last_talker = sky.last_gsa_talker
    mask = 0
    if a.latch_mode:
        return 0  # the last GGA repeated its time: don't trust this GSA either
    new.mode = atoi(s[2])
    if s[2][:1] != "E":  # Antaris dead reckoning
        mask = MODE
    if s.count <= 19:
        if s[15]:
            sky.pdop = num(s[15])
        if s[16]:
            sky.hdop = num(s[16])
        if s[17]:
            sky.vdop = num(s[17])
    if not last_talker or (talker == last_talker and talker != "N"):
        sky.used = []
        a.sats_used = 0
    sky.last_gsa_talker = talker
    if talker in ("B", "D", "Q"):
        sky.seen.add("bdgsa")
    elif talker == "L":
        sky.seen.add("glgsa")
    elif talker == "A":
        sky.seen.add("gagsa")
    # gpsd reads count-6 PRN fields: with an NMEA 4.10 system id that includes the PDOP
    for i in range(3, s.count - 3):
        n = atoi(s[i])
        if n < 1:
            continue
        prn = nmea_prn(s.tag[:2], n)[0]
        if prn > 0:
            sky.used.append(prn)
            a.sats_used += 1
    mask |= DOP
    if sky.seen & {"glgsa", "bdgsa", "gagsa"} and talker == "P":
        return 0  # a GPGSA before the other constellations' GSA: theirs carries the mode
    if last_talker != "N" and talker == "N":
        return MODE  # the first GNGSA of a run
    return mask


def gsv(a: ReceiverState, s: Sentence, new: Fix) -> int:
    # total, part, in view, then (id, elevation, azimuth, SNR) x 1-4 [, NMEA 4.10 signal id]
    sky = a.sky
    count = s.count
    if count <= 3 or count % 4 > 1:
        sky.sats = []
        return 0
    sigid = atoi(s[count - 1]) if count % 4 == 1 else 0
    sky.await_ = atoi(s[1])
    sky.part = atoi(s[2])
    if sky.part < 1:
        sky.sats = []
        return 0
    talker = s.tag[1:2]
    if sky.part == 1:
        # a GPS group starts the view again, unless it is an NMEA 4.10 second signal (L2, L5)
        if not sky.last_gsv_talker or (talker == "P" and sigid not in (2, 3, 5, 6)):
            sky.sats = []
        sky.last_gsv_talker = talker
        seen = {"A": "gagsv", "B": "bdgsv", "D": "bdgsv", "Q": "bdgsv", "L": "glgsv", "Z": "qzgsv"}.get(talker)
        if seen:
            sky.seen.add(seen)
    sats = sky.sats
    end = count // 4 * 4
    f = s.fields
    if len(f) < end + 3:
        f = f + [""] * (end + 3 - len(f))
    talker2 = s.tag[:2]
    used_prns = sky.used
    cache = _SAT_CACHE
    i = 4
    while i < end:
        v = f[i]
        n = int(v) if v.isdigit() else atoi(v)
        i += 1
        if n == 0:
            continue  # gpsd steps one field on and reads on from there
        prn, gnssid, svid = nmea_prn(talker2, n)
        el_s, az_s, ss_s = f[i], f[i + 1], f[i + 2]
        i += 3
        ss = int(ss_s) if ss_s.isdigit() else atoi(ss_s)
        key = (prn, el_s, az_s, ss, prn > 0 and ss > 0 and prn in used_prns, gnssid, svid)
        sat = cache.get(key)
        if sat is None:
            # receivers repeat a satellite's numbers for many cycles: one record for each
            if len(cache) > 4096:
                cache.clear()
            el = int(el_s) if el_s.isdigit() else atoi(el_s)
            az = int(az_s) if az_s.isdigit() else atoi(az_s)
            sat = cache[key] = SkySatellite(prn, float(el), float(az), float(ss), key[4], gnssid, svid)
        sats.append(sat)
    if sky.part < sky.await_:
        return 0
    if not any(sat.az != 0 for sat in sats):
        sky.sats = []  # all azimuths 0: no real satellite data (SiRF)
        return 0
    if talker == "P" and sky.seen & {"glgsv", "bdgsv", "gagsv", "qzgsv"}:
        return 0  # the other constellations' groups follow and complete the view
    return SAT


_SAT_CACHE: dict[tuple[int, str, str, int, bool, int, int], SkySatellite] = {}
