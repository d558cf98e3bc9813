"""The simulated GNSS receiver is self-consistent: the satellites its GSA says it uses are in its GSV view."""

from __future__ import annotations

import pytest

from devices.records import SkyView
from devices.report_stream import ReportStream
from devices.sim.fleet import SimTrack
from devices.sim.pty import GpsReceiver

LIUZHOU = (24.3264, 109.4281)


@pytest.mark.parametrize("talker", ["GN", "GP", "BD"])
def test_the_satellites_in_use_are_in_the_view_whatever_the_talker(talker: str) -> None:
    # A BeiDou (BD) receiver sent $BDGSA but listed its satellites as $GPGSV: decode (as gpsd 3.22)
    # then reported uSat 0 for every cycle of a simulated or recorded BD truck.
    tr = SimTrack("sim:t", [LIUZHOU, (LIUZHOU[0] + 0.01, LIUZHOU[1])], 5.0, talker=talker, jitter_m=0)
    rx = GpsReceiver(tr, t0=1_764_158_400.0)
    text = "".join(s + "\r\n" for s in rx(1_764_158_402.0) + rx(1_764_158_403.0))
    stream = ReportStream("sim")
    skies = [r for r in stream.feed(text.encode()) + stream.close() if isinstance(r, SkyView)]
    assert skies
    sky = skies[-1]
    in_use = [s for s in sky.satellites if s.used]
    assert len(in_use) == len(rx.sats) - 2 and len(sky.satellites) == len(rx.sats)
