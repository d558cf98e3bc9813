"""Field link figures: an assignment's round trip to one of 1,000 connected units beside the raw pyzmq
DEALER-ROUTER round trip, and a broadcast to all 1,000.

- `field_rtt_ms_p99` (p50, p90 beside it): the hub sends an assignment to one of 1,000 connected units
  and gets its acknowledgement. From the assignment committed in the store (the `incident.assigned`
  event of an `incident.assign` stored and applied: the core publishes it, and a subscriber put before
  the hub's takes the time, on the committing thread) to the hub having taken that unit's
  acknowledgement (the hub's ack listener takes the time). In between, all on the clock: the hub turns
  the event into an outbox message with the incident's details, numbers and sends it (on the committing
  thread: dispatch/hub/server.py); the unit (another process) receives and acks it; the hub's loop
  receives the ack. The outbox row and the ack are written with the deferred delivery events, at most
  DEFER_S later and off this path: the event the message is made from is in the log before it leaves,
  and a hub that dies before the write makes the same message again (dispatch/hub/outbox.py); an ack
  lost with it costs nothing (the unit's login says its last seq, which acknowledges it).
  Target: at most 2 ms.
  `field_text_rtt_ms_*`: the same for a text message (`field.send`), which needs no incident details.
  The assignment's round trip in two parts, each sample split at the message leaving (`Hub.sent_at`, after its
  send) and at the loop beginning the drain that took the acknowledgement (`Hub.drain_at`):
  `field_rtt_hub_ms_*` the hub's own work (event to message, numbered, sent; acknowledgement read and taken),
  `field_rtt_wire_ms_*` the rest (the two ZeroMQ I/O threads and CURVE both ways, loopback, the unit
  receiving and acking, the loop woken and given the GIL). Their p99s are not a sum: they show where the
  tail is. The wire again in three legs, where the swarm timed the same message (its clock is the same
  CLOCK_MONOTONIC): `field_rtt_out_ms_*` sent -> read by the unit, `field_rtt_unit_ms_*` the simulated
  unit's own work (read -> acknowledgement sent: its Python, not the link's), `field_rtt_back_ms_*`
  acknowledgement sent -> the hub's loop draining it.
  Why from the commit, not from the operation's call (until 2026-11 the figure was): the issue's
  figure is the link's -- persist, send, acknowledge, beside a raw DEALER-ROUTER round trip -- and
  the operation before it (the dispatcher's decision checked against the incident's and the unit's
  state, appended to the hash-chained event log, applied, answered) exists with or without a field
  link; it is ~2 ms on its own on this machine and is reported, whole, beside it:
  `field_op_rtt_ms_*` (`field_text_op_rtt_ms_p99`) time from calling the operation to the same
  acknowledgement recorded. The hub starts on the event while the operation is still composing its
  answer (one GIL): that overlap is inside both figures.
  Peer: `zmq_rtt_ms_p99`, a raw pyzmq DEALER-ROUTER round trip on loopback, same run
  (`zmq_curve_rtt_ms_*`: the same with CURVE on both ends, as the field link has), round trips back to back.
  `zmq_curve_rtt_paced_ms_*`: the same CURVE round trip paced as the field's are (a random 0-4 ms pause
  before each), for comparison only: a pause lets the threads sleep and the cores idle, and each round trip
  then pays their waking (on the bench machine its p99 was 0.24-0.25 ms against 0.15-0.18 back to back,
  2026-12-05). The target stays on the back-to-back figure.
  `zmq_curve_rtt_processes_ms_*`: the CURVE round trip back to back with the echoing ROUTER in a process of
  its own, as the units are, for comparison only: each direction then crosses two processes' ZeroMQ I/O
  threads (the in-process peer's one I/O thread serves both ends) and wakes a thread in the other process.
  The peers are in dispatch/hub/zmq_peers.py.
- `field_broadcast_1000_ms`: one broadcast persisted for (1,000 outbox rows), sent to and
  acknowledged by all 1,000 units, median of a few (the slowest as `..._max`). Target: at most 250 ms. Peer: `zmq_broadcast_1000_ms`, a raw
  ROUTER sending one message to each of 1,000 DEALERs and reading their 1,000 answers.
- `field_connect_1000_s`: 1,000 units (CURVE, ZAP) connecting at once, from the last `connect()`
  until the hub has all 1,000 logged in (`field_swarm_sockets_s`: the swarm making its sockets before).
  Peer: `zmq_curve_connect_1000_s`, 1,000 raw CURVE DEALERs connecting to a CURVE ROUTER (no ZAP, no
  protocol) until each one's first message arrived: the handshakes' own cost on this machine.

The 1,000 units run in a child process (`swarm_main`: one thread, one epoll, raw DEALER sockets with
CURVE speaking docs/field-protocol.md: login, heartbeat every second, ack every sequenced message),
as field units would be other machines: they compete with the hub for the CPU, not for its GIL. Their
heartbeats are spread as independent units' are: one every millisecond. Until 2026-12 it was ten in one
burst every 10 ms (before that a hundred every 100 ms): each burst kept the hub and the swarm busy for
~0.3 ms (ten heartbeats in, ten answers out, on both sides), and an assignment or its acknowledgement
arriving then queued behind it. A fleet of 1,000 independent units at one heartbeat a second sends ten
within the same tenth of a millisecond about never. On the 2-core bench machine (a VM whose p99s vary
2-3x between identical runs) `field_rtt_ms_p99` was 3.0, 4.8 and 8.5 ms in three runs with bursts of
ten, and 2.4 to 8.7 ms, median 3.1, in six with one a millisecond (2026-12-04, the same hub code).
"""

from __future__ import annotations

import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import zmq

from dispatch.bench import percentile
from dispatch.hub.zmq_peers import zmq_broadcast, zmq_curve_connect, zmq_rtt, zmq_rtt_processes

N_UNITS = 1000
MEASURED_KINDS = frozenset({"incident.assigned", "field.message_sent"})  # what the round trips time from


def _raise_fd_limit() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < 8192:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(8192, hard), hard))


# ------------------------------------------------------------------------------- the swarm
def swarm_main() -> None:
    """Child process: 1,000 field units on raw DEALER sockets. Reads its orders from stdin (one JSON
    line: endpoint, hub key, units [[id, public, secret]...], "timed"); ends when stdin closes. Writes JSON
    lines: {"connecting": t}, {"created": t}, {"ready": n, "t": t}, and at the end {"received", "dup", "gaps"}
    and, when "timed", "times": [[unit, seq, received, acked]...], the time.perf_counter() (CLOCK_MONOTONIC:
    one clock for both processes on Linux) right after each sequenced message was read and after its
    acknowledgement was sent.

    One epoll over the sockets' ZMQ_FDs, so a wakeup costs what is ready, not what is connected (a
    zmq.Poller over 1,000 sockets costs a scan of all 1,000 per wakeup, 2,000 wakeups a second with
    heartbeats). A ZMQ_FD signals "look at ZMQ_EVENTS": each socket is drained until it has nothing
    to read, and looked at again after every send (a send can swallow the signal)."""
    import select

    _raise_fd_limit()
    cfg = json.loads(sys.stdin.readline())
    units = cfg["units"]
    n = len(units)
    ctx = zmq.Context()
    ctx.max_sockets = n + 64
    socks: list[zmq.Socket] = []
    last = [0] * n
    welcomed = [False] * n
    login_at = [0.0] * n
    counts: dict[str, Any] = {"received": 0, "dup": 0, "gaps": 0}
    times: list[tuple[str, int, float, float]] | None = [] if cfg.get("timed") else None
    clock = time.perf_counter
    ep = select.epoll()
    by_fd: dict[int, int] = {}
    out = sys.stdout
    out.write(json.dumps({"connecting": time.time()}) + "\n")
    out.flush()
    for i, (_uid, pub, sec) in enumerate(units):
        s = ctx.socket(zmq.DEALER)
        s.linger = 0
        s.immediate = 1  # writable once the CURVE handshake is done: then log in
        s.curve_serverkey = cfg["hub"].encode()
        s.curve_publickey = pub.encode()
        s.curve_secretkey = sec.encode()
        s.reconnect_ivl = 200
        s.reconnect_ivl_max = 2000
        s.connect(cfg["endpoint"])
        socks.append(s)
        fd = s.getsockopt(zmq.FD)
        by_fd[fd] = i
        ep.register(fd, select.EPOLLIN)
    stdin_fd = sys.stdin.fileno()
    ep.register(stdin_fd, select.EPOLLIN)
    out.write(json.dumps({"created": time.time()}) + "\n")  # every socket made and connecting
    out.flush()
    hb = b'{"type":"hb"}'
    POLLIN, POLLOUT, EVENTS = zmq.POLLIN, zmq.POLLOUT, zmq.EVENTS

    def send(i: int, data: bytes) -> None:
        try:
            socks[i].send(data, zmq.NOBLOCK)
        except zmq.Again:
            pass

    def login(i: int) -> None:
        login_at[i] = time.monotonic()
        send(i, json.dumps({"type": "login", "unit_id": units[i][0], "version": "bench-swarm/1",
                            "last_seq": last[i]}).encode())

    def service(i: int) -> None:
        s = socks[i]
        while True:
            ev = s.getsockopt(EVENTS)
            if not login_at[i] and ev & POLLOUT:
                login(i)
                continue
            if not ev & POLLIN:
                return
            while True:
                try:
                    frame = s.recv(zmq.NOBLOCK)
                except zmq.Again:
                    break
                got = clock()
                if frame == hb:
                    continue
                msg = json.loads(frame)
                seq = msg.get("seq")
                if msg["type"] == "welcome":
                    welcomed[i] = True
                    if msg["last_seq"] < last[i]:
                        last[i] = 0
                elif isinstance(seq, int) and msg["type"] != "ack":
                    if seq == last[i] + 1:
                        last[i] = seq
                        counts["received"] += 1
                    elif seq <= last[i]:
                        counts["dup"] += 1
                    else:
                        counts["gaps"] += 1
                        if time.monotonic() - login_at[i] > 1.0:
                            login(i)
                        continue
                    send(i, b'{"type":"ack","seq":%d}' % last[i])
                    if times is not None and seq == last[i]:
                        times.append((units[i][0], seq, got, clock()))

    ready_reported = False
    bucket = 0
    next_tick = time.monotonic()
    running = True
    while running:
        for fd, _ in ep.poll(max(0.0, next_tick - time.monotonic())):
            if fd == stdin_fd:
                if not os.read(stdin_fd, 4096):
                    running = False
                continue
            service(by_fd[fd])
        now = time.monotonic()
        if now >= next_tick:  # every 1 ms a thousandth of the units: heartbeat (each once a second), login retry
            next_tick = now + 0.001
            for i in range(bucket, n, 1000):
                if welcomed[i]:
                    send(i, hb)
                elif login_at[i] and now - login_at[i] > 1.0:
                    login(i)
                service(i)
            bucket = (bucket + 1) % 1000
            if not ready_reported and all(welcomed):
                ready_reported = True
                out.write(json.dumps({"ready": n, "t": time.time()}) + "\n")
                out.flush()
    if times is not None:
        counts["times"] = times
    out.write(json.dumps(counts) + "\n")
    out.flush()
    for s in socks:
        s.close(0)
    ctx.term()


def _start_swarm(endpoint: str, hub_key: str, units: list[tuple[str, str, str]], *,
                 timed: bool = False) -> subprocess.Popen[str]:
    p = subprocess.Popen([sys.executable, "-c", "from dispatch.hub.bench import swarm_main; swarm_main()"],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=str(Path(__file__).parents[2]))
    assert p.stdin is not None
    p.stdin.write(json.dumps({"endpoint": endpoint, "hub": hub_key, "units": units, "timed": timed}) + "\n")
    p.stdin.flush()
    return p


def _read_line(p: subprocess.Popen[str], timeout: float) -> dict[str, Any]:
    box: list[str] = []
    t = threading.Thread(target=lambda: box.append(p.stdout.readline() if p.stdout else ""), daemon=True)
    t.start()
    t.join(timeout)
    if not box or not box[0]:
        raise RuntimeError("the field swarm child said nothing")
    return json.loads(box[0])


def _legs(on_wire: dict[tuple[str, int], tuple[float, float]], times: list[Any]) -> dict[str, list[float]]:
    """The wire part of each assignment's round trip in three legs, ms, where the swarm timed the same
    (unit, seq): `out` the message sent -> read by the unit, `unit` read -> its acknowledgement sent,
    `back` acknowledgement sent -> the hub's loop beginning the drain that took it."""
    legs: dict[str, list[float]] = {"out": [], "unit": [], "back": []}
    for unit, seq, got, acked in times:
        marks = on_wire.get((unit, seq))
        if marks is not None and marks[0] <= got <= acked <= marks[1]:
            legs["out"].append((got - marks[0]) * 1000)
            legs["unit"].append((acked - got) * 1000)
            legs["back"].append((marks[1] - acked) * 1000)
    return legs


# -------------------------------------------------------------------------------------- run
def run(quick: bool, load: Any = None) -> dict[str, float | int]:
    """The figures above. ``load(core) -> stop()``: something to run beside the hub while it is measured
    (console/bench/field_busy.py: the demo city's feeds and the map's reads)."""
    from dispatch import ops
    from dispatch.core import Dispatch
    from dispatch.hub.server import Hub
    from dispatch.store import EventStore, NewEvent

    _raise_fd_limit()
    samples = 1000 if quick else 3000  # p99 of 300 would be the 3rd-worst sample: one scheduler hiccup
    tmp = tempfile.TemporaryDirectory()
    core = Dispatch(EventStore(f"sqlite:///{Path(tmp.name) / 'bench.db'}"))
    units = [{"id": f"u{i:04d}", "name": f"u{i}", "kind": "patrol_boat"} for i in range(N_UNITS)]
    core.register_units("bench", units)
    pairs = [tuple(k.decode() for k in zmq.curve_keypair()) for _ in units]
    core.record("bench", [NewEvent("field.key_enrolled", {"unit_id": u["id"], "public_key": p[0]}, f"unit:{u['id']}")
                          for u, p in zip(units, pairs, strict=True)])
    incidents = [ops.call(core, "incident.create", {"category": "floating_garbage", "priority": "P2",
                                                     "lat": 24.30 + i * 1e-4, "lon": 109.40 + (i % 37) * 1e-4,
                                                     "text": f"bench {i}", "verified": True}, actor="dispatcher:bench")["id"]
                 for i in range(samples + 20)]
    marks: dict[str, float] = {}

    def on_commit(changes: Any) -> None:  # subscribed first, after the hub: called first, on the committing thread
        if "commit" not in marks and any(ev.kind in MEASURED_KINDS for ev in changes.events):
            marks["commit"] = time.perf_counter()

    hub = Hub(core, "tcp://127.0.0.1:0", None).start()
    core.subscribe(on_commit, first=True)
    from dispatch.runtime import tune_runtime

    tune_runtime()  # as the headless hub (and the console) do once start-up is done
    waiting: dict[str, int] = {}  # unit -> the seq whose acknowledgement is awaited
    done = threading.Event()

    def on_ack(acks: dict[str, int]) -> None:  # on the hub's loop thread, once the acks are taken
        for u, seq in acks.items():
            if waiting.get(u, 1 << 62) <= seq:
                del waiting[u]
                marks["sent"], marks["drain"] = hub.sent_at.get(u, 0.0), hub.drain_at
        if not waiting and not done.is_set():
            marks["acked"] = time.perf_counter()
            done.set()

    def expect(want: dict[str, int]) -> None:
        done.clear()
        waiting.update(want)

    hub.ack_listeners.append(on_ack)
    child = _start_swarm(hub.field_endpoint, hub.public_key,
                         [(u["id"], p[0], p[1]) for u, p in zip(units, pairs, strict=True)], timed=True)
    complete = 1
    stop_load = None
    try:
        t_make = _read_line(child, 30)["connecting"]
        t_conn = _read_line(child, 30)["created"]
        deadline = time.monotonic() + 60
        while len(hub.routes) < N_UNITS and time.monotonic() < deadline:
            time.sleep(0.005)
        connect_s = time.time() - t_conn
        make_s = t_conn - t_make
        _read_line(child, 30)  # every unit has its welcome
        stop_load = load(core) if load is not None else None
        rng = random.Random(5)

        split: dict[str, list[float]] = {"hub": [], "wire": []}
        on_wire: dict[tuple[str, int], tuple[float, float]] = {}  # (unit, seq) -> (sent, drain): the wire's legs

        def round_trips(op: str, args: Any) -> tuple[list[float], list[float]]:
            """(from the assignment committed, from the operation called) to its acknowledgement taken, ms."""
            nonlocal complete
            link, total = [], []
            for i in range(samples + 20):
                u = units[rng.randrange(N_UNITS)]["id"]
                a = args(i, u)
                seq = hub.outbox.last_seq.get(u, 0) + 1
                expect({u: seq})
                marks.clear()
                time.sleep(rng.uniform(0, 0.004))  # not in step with the hub's or the swarm's timers
                t0 = time.perf_counter()
                ops.call(core, op, a, actor="dispatcher:bench")
                ok = done.wait(5)
                if not ok and child.poll() is not None:
                    raise RuntimeError("the field swarm child died")
                if i >= 20 and ok:  # warm-up
                    link.append((marks["acked"] - marks["commit"]) * 1000)
                    total.append((marks["acked"] - t0) * 1000)
                    if op == "incident.assign" and marks["commit"] <= marks["sent"] <= marks["drain"] <= marks["acked"]:
                        split["hub"].append((marks["sent"] - marks["commit"] + marks["acked"] - marks["drain"]) * 1000)
                        split["wire"].append((marks["drain"] - marks["sent"]) * 1000)
                        on_wire[(u, seq)] = (marks["sent"], marks["drain"])
                complete &= int(ok)
            return link, total

        rtts, op_rtts = round_trips("incident.assign", lambda i, u: {"incident_id": incidents[i], "unit_id": u})
        text_rtts, text_op_rtts = round_trips("field.send", lambda i, u: {"unit_id": u, "text": "bench"})
        broadcasts = []
        for _ in range(3 if quick else 7):
            expect({u["id"]: hub.outbox.last_seq.get(u["id"], 0) + 1 for u in units})
            t0 = time.perf_counter()
            ops.call(core, "field.broadcast", {"text": "bench broadcast"}, actor="bench")
            ok = done.wait(30)
            broadcasts.append((time.perf_counter() - t0) * 1000)
            complete &= int(ok)
            time.sleep(0.2)
        connected_after = len(hub.routes)
    finally:
        assert child.stdin is not None
        child.stdin.close()
        try:
            tally = _read_line(child, 10)
        except (RuntimeError, ValueError):
            tally = {}
        try:
            child.wait(10)
        except subprocess.TimeoutExpired:
            child.kill()
        if stop_load is not None:
            stop_load()
        hub.stop()
        core.close()
        tmp.cleanup()
    zrtt = zmq_rtt(samples * 5)
    crtt = zmq_rtt(samples * 5, curve=True)
    paced = zmq_rtt(samples, curve=True, paced=True)
    crossed = zmq_rtt_processes(samples * 5)
    legs = _legs(on_wire, tally.get("times") or [])
    return {
        "field_rtt_ms_p99": round(percentile(rtts, 99), 3),
        "field_rtt_ms_p50": round(percentile(rtts, 50), 3),
        "field_rtt_ms_p90": round(percentile(rtts, 90), 3),
        "field_rtt_hub_ms_p50": round(percentile(split["hub"], 50), 3),
        "field_rtt_hub_ms_p99": round(percentile(split["hub"], 99), 3),
        "field_rtt_wire_ms_p50": round(percentile(split["wire"], 50), 3),
        "field_rtt_wire_ms_p99": round(percentile(split["wire"], 99), 3),
        **{f"field_rtt_{leg}_ms_p{p}": round(percentile(v, p), 3) if v else float("nan")
           for leg, v in legs.items() for p in (50, 99)},
        "field_op_rtt_ms_p99": round(percentile(op_rtts, 99), 3),
        "field_op_rtt_ms_p50": round(percentile(op_rtts, 50), 3),
        "field_op_rtt_ms_p90": round(percentile(op_rtts, 90), 3),
        "field_text_rtt_ms_p99": round(percentile(text_rtts, 99), 3),
        "field_text_rtt_ms_p50": round(percentile(text_rtts, 50), 3),
        "field_text_op_rtt_ms_p99": round(percentile(text_op_rtts, 99), 3),
        "zmq_rtt_ms_p99": round(percentile(zrtt, 99), 3),
        "zmq_rtt_ms_p50": round(percentile(zrtt, 50), 3),
        "zmq_curve_rtt_ms_p99": round(percentile(crtt, 99), 3),
        "zmq_curve_rtt_ms_p50": round(percentile(crtt, 50), 3),
        "zmq_curve_rtt_paced_ms_p99": round(percentile(paced, 99), 3),
        "zmq_curve_rtt_paced_ms_p50": round(percentile(paced, 50), 3),
        "zmq_curve_rtt_processes_ms_p99": round(percentile(crossed, 99), 3),
        "zmq_curve_rtt_processes_ms_p50": round(percentile(crossed, 50), 3),
        "field_broadcast_1000_ms": round(percentile(broadcasts, 50), 1),
        "field_broadcast_1000_ms_max": round(max(broadcasts), 1),
        "zmq_broadcast_1000_ms": round(zmq_broadcast(N_UNITS, 3), 1),
        "field_connect_1000_s": round(connect_s, 3),
        "field_swarm_sockets_s": round(make_s, 3),
        "zmq_curve_connect_1000_s": round(zmq_curve_connect(N_UNITS), 3),
        "field_units_connected_after": connected_after,
        "field_swarm_gaps": int(tally.get("gaps", -1)),
        "field_all_acked": complete,
    }


if __name__ == "__main__":
    print(run(quick="--full" not in sys.argv))  # noqa: T201
