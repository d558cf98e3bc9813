"""Throughput of the JT/T 808 decoder, beside the NMEA feed decoder on the same machine in the same run.

The JT/T 808 stream is what a gateway reads from its terminals: location reports 0x0200 with the
usual additional items (mileage, fuel, signal strength, satellites), a heartbeat now and then, a
blind-area batch 0x0704 of 10 positions now and then; a few frames carry escapes. Our side is
`Jt808Stream.feed` on chunks of 4 KiB (what one read of a busy socket gives): frames cut, unescaped,
checked, headers and bodies decoded to typed records. `jt808_decode_per_s` counts frames a second;
`jt808_positions_per_s` the positions in them. The peer is `devices.nmea.bench`'s decoder over its
receiver stream (`decode_nmea_per_s`, sentences a second: a JT/T 808 frame carries what an RMC+GGA
pair does).
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

from devices.jt808 import encode, location
from devices.jt808.decoder import Jt808Stream
from devices.jt808.messages import Extras, LocationBatch, LocationReport
from devices.nmea import bench as nmea_bench

CHUNK = 4096
_T0 = datetime(2024, 11, 26, 12, 0, tzinfo=UTC)
_LIUZHOU = (24.3264, 109.4281)


def jt808_stream(frames: int, terminals: int = 200) -> tuple[bytes, int, int]:
    """(bytes, frame count, position count) of ``frames`` frames from ``terminals`` terminals."""
    out = bytearray()
    positions = 0
    n = 0
    lat0, lon0 = _LIUZHOU
    i = 0
    while n < frames:
        phone = f"0139{i % terminals:08d}"
        when = _T0 + timedelta(seconds=i // terminals * 10)
        extras = Extras(mileage_km=1234.5 + i * 0.01, fuel_l=80.5, signal_strength=25, satellites=12)
        lat = lat0 + 0.0001 * (i % 500)
        lon = lon0 + 0.0001 * math.sin(i / 50)
        body = location.encode(lat, lon, when, speed=35.5, course=i % 360, altitude=90,
                               status=("acc_on", "positioned", "gps", "beidou"), extras=extras)
        if i % 50 == 49:
            bodies = [location.encode(lat, lon, when - timedelta(seconds=10 * k), speed=30.0, extras=extras)
                      for k in range(10)]
            out += encode.frame(encode.LOCATION_BATCH, phone, i, encode.batch_body(bodies))
            positions += 10
        elif i % 20 == 19:
            out += encode.heartbeat(phone, i)
        else:
            out += encode.frame(encode.LOCATION, phone, i, body)
            positions += 1
        n += 1
        i += 1
    return bytes(out), n, positions


def run(quick: bool = False) -> dict[str, float]:
    frames = 20_000 if quick else 100_000
    repeat = 3 if quick else 5
    data, n, positions = jt808_stream(frames)
    nmea = nmea_bench.nmea_stream(300 if quick else 3000)

    def ours() -> None:
        s = Jt808Stream("bench")
        got = 0
        for i in range(0, len(data), CHUNK):
            for m in s.feed(data[i:i + CHUNK]):
                if isinstance(m, LocationReport):
                    got += 1
                elif isinstance(m, LocationBatch):
                    got += len(m.locations)
        assert s.counters.messages == n and s.counters.errors == 0 and got == positions, s.counters

    def peer() -> None:
        from devices.framing import Decoder

        dec = Decoder("bench", clock=lambda: _T0.timestamp())
        for i in range(0, len(nmea), nmea_bench.BATCH):
            dec.decode_batch(nmea[i:i + nmea_bench.BATCH], full=False, merge=True)

    t_ours, t_peer = nmea_bench._best_pair(ours, peer, repeat)
    return {
        "jt808_decode_per_s": round(n / t_ours),
        "jt808_positions_per_s": round(positions / t_ours),
        "jt808_mb_per_s": round(len(data) / t_ours / 1e6, 2),
        "decode_nmea_per_s": round(len(nmea) / t_peer),
    }
