"""Throughput of our decoders against plain pynmea2 / pyais, on the same generated streams.

The NMEA stream is what a receiver sends each second: GGA, GSA, 3 x GSV, RMC, VTG. Our
side is exactly what the feed multiplexer (`dispatch.feeds.Feed`) runs on every batch it
drains while nobody watches the device bench: `Decoder.decode_batch(lines, full=False,
merge=True)`, which verifies every sentence's checksum, parses RMC and GGA into one Fix per
epoch and counts the rest by type; figures are per sentence of the whole stream. The lines
go in batches of `BATCH` (what one 0.1 s pump tick drains from a feed running at these rates;
a feed that trickles a line per tick needs no throughput). pynmea2's side is
``pynmea2.parse`` of every sentence. The AIS stream mixes types 1, 18, 24 and two-part
type 5 messages; our side is `AisDecoder.decode` per line, pyais's is
``pyais.decode`` per message (all parts at once).

Each side's figure is its best of seven runs, taken in turns. The quick bench decodes 1,500 receiver-seconds (five
batches), the full one 3,000. Until 2026-12 the quick one timed a single batch three times: the fixed cost of a run
(a decoder made, its first batch) then weighed as much as the work, and the NMEA ratio came out at 4.7-5.0 where
the full bench, on the same machine, gives 6.7-7.0 (now quick 5.8-6.6).
"""

from __future__ import annotations

import gc
import math
import time
from collections.abc import Callable

import pyais
import pynmea2  # type: ignore[import-untyped]

from devices.ais import encode as ais_encode
from devices.ais.decoder import AisDecoder
from devices.framing import Decoder
from devices.nmea import encode
from devices.records import Satellite

BATCH = 2100  # lines per decode_batch call: 300 receiver-seconds
_T0 = 1732620000.0  # 2024-11-26 11:20 UTC
_LIUZHOU = (24.3264, 109.4281)


def nmea_stream(seconds: int) -> list[str]:
    """A GN receiver drifting along the Liujiang, one epoch (7 sentences) per second."""
    sats = [Satellite(p, 10 + (p * 7) % 80, (p * 37) % 360, 20 + p % 30) for p in (2, 5, 7, 9, 13, 15, 18, 20, 24, 27, 29, 30)]
    lines = []
    lat0, lon0 = _LIUZHOU
    for i in range(seconds):
        t = _T0 + i
        lat = lat0 + 0.00002 * i
        lon = lon0 + 0.00001 * math.sin(i / 50)
        lines.append(encode.gga("GN", t, lat, lon, 86.4 + (i % 7) * 0.1, sats=12, hdop=0.8))
        lines.append(encode.gsa("GN", [s.prn for s in sats[:10]], 1.4, 0.8, 1.1))
        lines.extend(encode.gsv("GP", sats))
        lines.append(encode.rmc("GN", t, lat, lon, 2.6, 12.5))
        lines.append(encode.vtg("GN", 12.5, 2.6))
    return lines


def ais_stream(rounds: int) -> tuple[list[str], list[list[str]]]:
    """Lines, and the same lines grouped per message (for pyais.decode)."""
    messages: list[list[str]] = []
    lat0, lon0 = _LIUZHOU
    for i in range(rounds):
        mmsi = 413_700_000 + i % 50
        messages.append(ais_encode.type1(mmsi, lat0 + i * 1e-5, lon0, 6.3, 45.1, 44))
        messages.append(ais_encode.type18(mmsi + 100, lat0, lon0 + i * 1e-5, 4.2, 180.0, 179))
        if i % 5 == 0:
            messages.append(ais_encode.type5(mmsi, f"GUI PING HUO {i % 1000}", callsign="BXAB3",
                                             destination="LIUZHOU PORT", shiptype=70, seq_id=i % 10))
            messages.append(ais_encode.type24(mmsi + 100, shipname="XI JIANG 7"))
    return [line for msg in messages for line in msg], messages


def _best_pair(a: Callable[[], None], b: Callable[[], None], repeat: int) -> tuple[float, float]:
    """Best-of-``repeat`` times of a and b, run alternately so that both see the same load."""
    best_a = best_b = math.inf
    gc_was_enabled = gc.isenabled()
    gc.disable()  # as timeit does: a collection landing in one side's run is noise
    try:
        for _ in range(repeat):
            t0 = time.perf_counter()
            a()
            t1 = time.perf_counter()
            b()
            t2 = time.perf_counter()
            best_a = min(best_a, t1 - t0)
            best_b = min(best_b, t2 - t1)
    finally:
        if gc_was_enabled:
            gc.enable()
    return best_a, best_b


def run(quick: bool = False) -> dict[str, float]:
    """Measure and return sentences per second for each side."""
    seconds = 1500 if quick else 3000
    repeat = 7
    nmea = nmea_stream(seconds)
    ais_lines, ais_msgs = ais_stream(200 if quick else 2000)

    def ours_nmea() -> None:
        dec = Decoder("bench", clock=lambda: _T0)
        fixes = 0
        for i in range(0, len(nmea), BATCH):
            records, errors = dec.decode_batch(nmea[i : i + BATCH], full=False, merge=True)
            fixes += len(records)
        assert fixes == seconds and not errors and dec.counters.sentences == len(nmea)

    def theirs_nmea() -> None:
        parse = pynmea2.parse
        [parse(line) for line in nmea]

    def ours_ais() -> None:
        dec = AisDecoder("bench", clock=lambda: _T0)
        for line in ais_lines:
            dec.decode(line)

    def theirs_ais() -> None:
        dec = pyais.decode
        for parts in ais_msgs:
            dec(*parts)

    ours_n, theirs_n = _best_pair(ours_nmea, theirs_nmea, repeat)
    ours_a, theirs_a = _best_pair(ours_ais, theirs_ais, repeat)
    return {
        "decode_nmea_per_s": len(nmea) / ours_n,
        "pynmea2_parse_per_s": len(nmea) / theirs_n,
        "decode_ais_per_s": len(ais_lines) / ours_a,
        "pyais_decode_per_s": len(ais_lines) / theirs_a,
    }
