"""A gpsd feed against the real gpsd: gpsfake runs gpsd on a pty that replays a log, our feed dials it,
asks ?WATCH and turns gpsd's reports into fixes of the bound unit.

gpsd comes from Debian's `gpsd` and `gpsd-clients` (.ci/run installs them); without them the test says
so and is skipped.
"""

from __future__ import annotations

import shutil
import subprocess
import time

import pytest

from devices.nmea import encode
from devices.records import Satellite
from dispatch.feeds.config import FeedSpec
from dispatch.feeds.manager import FeedManager
from tests.conftest import stop_process, wait_for
from tests.ports import free_port as _free_port

EPOCHS = 40
SATS = [(2, 24.0, 74.0, 40.0), (5, 45.0, 185.0, 38.0), (12, 61.0, 300.0, 44.0), (15, 12.0, 290.0, 31.0),
        (25, 33.0, 40.0, 36.0), (29, 8.0, 120.0, 22.0)]  # PRN, elevation, azimuth, SNR

GPSD = shutil.which("gpsd") or shutil.which("gpsd", path="/usr/sbin:/usr/local/sbin")
pytestmark = pytest.mark.skipif(shutil.which("gpsfake") is None or GPSD is None,
                                reason="gpsd not installed (apt install gpsd gpsd-clients; .ci/run does)")


def _track(i: int) -> tuple[float, float]:
    return 24.3200 + i * 1e-5, 109.4100 + i * 2e-5


def test_gpsd_feed_reads_the_real_gpsd(core, tmp_path) -> None:  # type: ignore[no-untyped-def]
    # a log of a year ago: gpsd's first report comes before it knows the date, without "time"; stamped
    # with the receive time it would be newer than every fix of the log, which the core would then ignore
    T0 = float(int(time.time()) - 365 * 86400)
    log = tmp_path / "receiver.log"
    with log.open("w") as f:
        f.write("# Name: a receiver of the test, RMC+GGA at 1 Hz\n")
        for i in range(EPOCHS):
            lat, lon = _track(i)
            f.write(encode.gga("GP", T0 + i, lat, lon, 86.5, sats=9, hdop=0.9, geoid_sep=-19.0) + "\r\n")
            f.write(encode.gsa("GP", [p for p, *_ in SATS[:5]], 1.6, 0.9, 1.3) + "\r\n")
            f.write("".join(s + "\r\n" for s in encode.gsv("GP", [Satellite(*s) for s in SATS])))
            f.write(encode.rmc("GP", T0 + i, lat, lon, 2.5, 63.0) + "\r\n")
    port = _free_port()
    # -c: seconds between sentences; -q: quiet; the log loops until we stop gpsfake
    gpsfake = subprocess.Popen(["gpsfake", "-q", "-P", str(port), "-c", "0.02", str(log)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    mgr = FeedManager(core, [FeedSpec("gw", "gpsd", host="127.0.0.1", tcp_port=port, unit="boat-01")]).start()
    try:
        def fixed() -> bool:
            assert gpsfake.poll() is None, gpsfake.stderr.read().decode(errors="replace") if gpsfake.stderr else ""
            p = core.state.units["boat-01"].position
            return p is not None and p.ts > T0 + 2 and p.speed is not None  # not the first epochs, which gpsd may still be learning
        wait_for(fixed, 30, what="a fix from gpsd")
        p = core.state.units["boat-01"].position
        i = round(p.ts - T0)
        lat, lon = _track(i)
        assert p.ts == T0 + i
        assert abs(p.lat - lat) < 1e-7 and abs(p.lon - lon) < 1e-7
        assert abs(p.speed - 2.5) < 1e-3 and abs(p.course - 63.0) < 1e-6
        wait_for(lambda: mgr.feeds["gw"].snapshot(p.ts).hdop is not None, 10, what="gpsd's SKY")
        snap = mgr.feeds["gw"].snapshot(p.ts)
        assert snap.hdop == pytest.approx(0.9) and snap.fix_quality == 1
        assert snap.satellites == 5  # used in the solution, as gpsd's SKY counts them (uSat)
    finally:
        mgr.stop()
        stop_process(gpsfake, 10)
