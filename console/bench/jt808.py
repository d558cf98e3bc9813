"""JT/T 808: the decoder's rate beside the NMEA decoder's, measured in the same run (devices.jt808.bench)."""

from __future__ import annotations


def run(quick: bool) -> dict[str, float | int | str]:
    from devices.jt808 import bench

    return dict(bench.run(quick))
