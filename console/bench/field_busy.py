"""The field round trip on a busy console: the hub bench (dispatch/hub/bench.py) again, with the demo city's
feeds ingested and the map drawn beside it, in the same process, on the same core.

`field_rtt_busy_ms_p99` (p50, p90): the hub's assignment round trip (from its event committed to the unit's
acknowledgement committed, 1,000 CURVE units in another process) while
- the demo city runs as in the console: its fleet simulator's NMEA and AIS through the demo feed pump
  (decode, bind, ingest, store), every 200 ms;
- the map is drawn as the console's map timer does it, every 16 ms: the units whose position changed
  (`positions_since`, under the core's lock), their rows (`console.map.view.unit_row`) and the packed batch
  sent to the page (`pack_rows`); the page's own drawing runs in the web engine's process, not here.
Both hand the GIL over every 0.2 ms as the console does (`dispatch.runtime.GilShare`: the hub's field loop is the
thread they make way for; see docs/architecture.md).
Target: at most 2 ms. Peers in the same run: `zmq_curve_rtt_ms_p99` (raw CURVE DEALER/ROUTER round trip)
and the idle `field_rtt_ms_p99` of the hub section.
"""

from __future__ import annotations

import threading
from typing import Any


def _busy(core: Any) -> Any:
    from console.map.view import pack_rows, unit_row
    from dispatch.demo.fleet import demo_simulator
    from dispatch.feeds.pump import demo_pump
    from dispatch.runtime import GilShare

    units, sim = demo_simulator(t0=core.clock())
    core.register_units("system:demo", [u.registration() for u in units])
    pump = demo_pump(core, sim)
    pump.start()
    stop = threading.Event()
    frames = [0]

    def draw() -> None:
        version = 0
        slots: dict[str, int] = {}
        while not stop.wait(0.016):
            now = core.clock()
            version, changed = core.positions_since(version)
            rows = []
            share = GilShare()  # as the console's map timer does (console/main_window.py push_positions)
            for u in changed:
                rows.append(unit_row(u, core.is_stale(u, now)))
                share()
            for r in rows:
                slots.setdefault(r[0], len(slots))
            if rows:
                pack_rows(rows, slots)
            frames[0] += 1

    t = threading.Thread(target=draw, name="bench-map", daemon=True)
    t.start()

    def end() -> None:
        stop.set()
        t.join(5)
        pump.stop()

    return end


def run(quick: bool) -> dict[str, Any]:
    from dispatch.hub import bench as hub_bench

    figs = hub_bench.run(quick, load=_busy)
    return {
        "field_rtt_busy_ms_p99": figs["field_rtt_ms_p99"],
        "field_rtt_busy_ms_p50": figs["field_rtt_ms_p50"],
        "field_rtt_busy_ms_p90": figs["field_rtt_ms_p90"],
        "field_rtt_busy_hub_ms_p99": figs["field_rtt_hub_ms_p99"],
        "field_rtt_busy_wire_ms_p99": figs["field_rtt_wire_ms_p99"],
        "field_op_rtt_busy_ms_p99": figs["field_op_rtt_ms_p99"],
        "zmq_curve_rtt_ms_p99": figs["zmq_curve_rtt_ms_p99"],
    }
