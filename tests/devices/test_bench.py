from __future__ import annotations

from devices.nmea import bench


def test_bench_quick_returns_all_figures():
    result = bench.run(quick=True)
    assert set(result) == {"decode_nmea_per_s", "pynmea2_parse_per_s", "decode_ais_per_s", "pyais_decode_per_s"}
    assert all(v > 0 for v in result.values())
    # the fast path must beat pynmea2 clearly even on a noisy CI machine
    assert result["decode_nmea_per_s"] > 2 * result["pynmea2_parse_per_s"]


def test_streams_are_valid():
    from devices.checksum import verify

    stream = bench.nmea_stream(3)
    assert len(stream) == 21 and all(verify(line) for line in stream)
    lines, messages = bench.ais_stream(5)
    assert sum(len(m) for m in messages) == len(lines)
