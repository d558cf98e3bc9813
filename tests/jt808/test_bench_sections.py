"""The benchmark's sections: the protocol's (devices/jt808/bench.py) and the gateway's (dispatch/jt808)."""

from __future__ import annotations


def test_the_jt808_sections():
    from console.bench import modules

    found = modules()
    assert found["jt808"] == "devices.jt808.bench"
    assert found["jt808_gateway"] == "dispatch.jt808.bench_jt808_gateway"
