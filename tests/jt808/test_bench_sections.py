"""The benchmark's sections: the protocol's (devices/jt808) and the gateway's (dispatch/jt808) both kept."""

from __future__ import annotations


def test_a_name_on_both_sides_is_two_sections():
    from console.bench import modules

    found = modules()
    assert found["devices.jt808"] == "devices.jt808.bench" and found["dispatch.jt808"] == "dispatch.jt808.bench"
    assert "jt808" not in found and found["feeds"] == "dispatch.feeds.bench" and found["nmea"] == "devices.nmea.bench"
