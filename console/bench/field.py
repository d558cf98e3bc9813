"""Field link figures: an assignment's round trip to one of 1,000 connected units (durable outbox
write included) beside the raw pyzmq DEALER-ROUTER round trip, and a broadcast to all 1,000.

field_rtt_ms_p99: from the operation that queues a message for one unit (event stored, outbox row
written, sent) to the hub having processed that unit's acknowledgement. Peer: zmq_rtt_ms_p99.
field_broadcast_1000_ms: one broadcast persisted for, sent to and acknowledged by all 1,000 units.
"""

from __future__ import annotations

import random
import resource
import tempfile
import threading
import time
from pathlib import Path

import zmq

from console.bench import percentile

N_UNITS = 1000


def zmq_rtt(samples: int) -> list[float]:
    ctx = zmq.Context()
    router = ctx.socket(zmq.ROUTER)
    port = router.bind_to_random_port("tcp://127.0.0.1")
    dealer = ctx.socket(zmq.DEALER)
    dealer.connect(f"tcp://127.0.0.1:{port}")
    stop = threading.Event()

    def echo() -> None:
        while not stop.is_set():
            if router.poll(50):
                router.send_multipart(router.recv_multipart())

    t = threading.Thread(target=echo, daemon=True)
    t.start()
    out = []
    for _ in range(samples):
        t0 = time.perf_counter()
        dealer.send(b'{"type":"ack","seq":1}')
        dealer.recv()
        out.append((time.perf_counter() - t0) * 1000)
    stop.set()
    t.join()
    dealer.close(0)
    router.close(0)
    ctx.term()
    return out[10:]


def run(quick: bool) -> dict[str, float | int]:
    from dispatch import ops
    from dispatch.core import Dispatch
    from dispatch.hub.client import FieldClient, Swarm
    from dispatch.hub.server import Hub
    from dispatch.store import EventStore, NewEvent

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < 8192:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(8192, hard), hard))
    samples = 200 if quick else 1000
    tmp = tempfile.TemporaryDirectory()
    core = Dispatch(EventStore(f"sqlite:///{Path(tmp.name) / 'bench.db'}"))
    units = [{"id": f"u{i:04d}", "name": f"u{i}", "kind": "patrol_boat"} for i in range(N_UNITS)]
    core.register_units("bench", units)
    pairs = [tuple(k.decode() for k in zmq.curve_keypair()) for _ in units]
    core.record("bench", [NewEvent("field.key_enrolled", {"unit_id": u["id"], "public_key": p[0]}, f"unit:{u['id']}")
                          for u, p in zip(units, pairs, strict=True)])
    hub = Hub(core, "tcp://127.0.0.1:0", None).start()
    ctx = zmq.Context()
    ctx.max_sockets = 4 * N_UNITS + 64
    clients = [FieldClient(u["id"], hub.field_endpoint,
                           {"public_key": p[0], "secret_key": p[1], "hub_public_key": hub.public_key}, ctx=ctx)
               for u, p in zip(units, pairs, strict=True)]
    t_conn = time.perf_counter()
    swarm = Swarm(clients).start()
    try:
        deadline = time.monotonic() + 60
        while len(hub.routes) < N_UNITS and time.monotonic() < deadline:
            time.sleep(0.01)
        connect_s = time.perf_counter() - t_conn
        acked = threading.Condition()
        latest: dict[str, int] = {}

        def on_ack(acks: dict[str, int]) -> None:
            with acked:
                latest.update(acks)
                acked.notify_all()

        hub.ack_listeners.append(on_ack)
        rtts = []
        rng = random.Random(5)
        for _ in range(samples):
            u = units[rng.randrange(N_UNITS)]["id"]
            want = hub.outbox.last_seq.get(u, 0) + 1
            t0 = time.perf_counter()
            ops.call(core, "field.send", {"unit_id": u, "text": "bench"}, actor="bench")
            with acked:
                acked.wait_for(lambda u=u, want=want: latest.get(u, 0) >= want, timeout=5)
            rtts.append((time.perf_counter() - t0) * 1000)
        want_all = {u["id"]: hub.outbox.last_seq.get(u["id"], 0) + 1 for u in units}
        t0 = time.perf_counter()
        ops.call(core, "field.broadcast", {"text": "bench broadcast"}, actor="bench")
        with acked:
            acked.wait_for(lambda: all(latest.get(u, 0) >= s for u, s in want_all.items()), timeout=30)
        broadcast_ms = (time.perf_counter() - t0) * 1000
    finally:
        swarm.stop()
        ctx.destroy(0)
        hub.stop()
        core.close()
        tmp.cleanup()
    return {
        "field_rtt_ms_p99": round(percentile(rtts, 99), 3),
        "field_rtt_ms_p50": round(percentile(rtts, 50), 3),
        "zmq_rtt_ms_p99": round(percentile(zmq_rtt(samples * 5), 99), 3),
        "field_broadcast_1000_ms": round(broadcast_ms, 1),
        "field_connect_1000_s": round(connect_s, 2),
    }


if __name__ == "__main__":
    print(run(quick=True))  # noqa: T201
