"""Multi-seat figure (section "multiseat"): an action at one seat seen at every other seat.

- `multiseat_propagation_ms_p95` (p50, max beside it): five consoles attached to a hub on PostgreSQL
  (headless: `dispatch.hub.attach.RemoteCore`, what a console runs under its widgets); one of them, in
  turn, sends a handover note (`shift.note`) through its control session; the time runs from the call
  until the last of the other four has the event applied to its state and published to its
  subscribers (what a console's views hear). The hub is its own process (`main.py hub`) on a database
  made for the run and dropped after. Target: 200 ms, 50 ms on loopback.
  `multiseat_op_ms_p50`: the acting seat's own call, answered once its state has the event.
  Peers, same run: `zmq_curve_pubsub_ms_p95`, a raw CURVE PUB to five SUBs on loopback (the transport's
  own share), and `pg_commit_ms_p50`, one row inserted and committed on the same database (the store's
  share: every action is a durable commit before any seat hears of it; with PostgreSQL's default
  synchronous_commit it is the disk's flush, most of the figure on a slow disk).
- `seat_upload_mib_s`: one seat sends a file (8 MiB, 32 in the full bench) to the hub in pieces
  (dispatch/uploads.py: 512 KiB a request, each answered before the next) and attaches it to an incident
  (hashed into the blobs, recorded): what an attached console does with a phone's photo or a body camera's clip.
  Peer: `zmq_curve_bulk_mib_s`, the same bytes in 512 KiB messages over a raw CURVE DEALER-ROUTER pair on
  loopback, each answered before the next (the transport's own pace for that lockstep).
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import zmq

from dispatch.bench import percentile
from dispatch.hub.zmq_peers import zmq_bulk

ROOT = Path(__file__).resolve().parents[2]
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"
SEATS = 5
PASSWORD = "bench-password-1"


def zmq_pubsub(samples: int) -> list[float]:
    """Raw CURVE PUB -> 5 SUBs on loopback: ms until the last SUB has the message."""
    ctx = zmq.Context()
    spub, ssec = zmq.curve_keypair()
    pub = ctx.socket(zmq.PUB)
    pub.curve_server, pub.curve_secretkey, pub.curve_publickey = True, ssec, spub
    port = pub.bind_to_random_port("tcp://127.0.0.1")
    subs = []
    for _ in range(SEATS):
        cpub, csec = zmq.curve_keypair()
        s = ctx.socket(zmq.SUB)
        s.curve_serverkey, s.curve_publickey, s.curve_secretkey = spub, cpub, csec
        s.setsockopt(zmq.SUBSCRIBE, b"")
        s.connect(f"tcp://127.0.0.1:{port}")
        subs.append(s)
    poller = zmq.Poller()
    for s in subs:
        poller.register(s, zmq.POLLIN)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:  # until every SUB hears
        pub.send(b"warm")
        if all(s.poll(50) for s in subs):
            break
    for s in subs:
        while s.poll(0):
            s.recv()
    out = []
    for _ in range(samples):
        t0 = time.perf_counter()
        pub.send(b"x" * 300)
        for s in subs:
            s.recv()
        out.append((time.perf_counter() - t0) * 1000)
    for s in [pub, *subs]:
        s.close(0)
    ctx.term()
    return out


def seat_upload(seat: Any, size: int) -> float:
    """One seat's file to the hub in pieces and attached to an incident: MiB/s over the whole."""
    from dispatch.ops import call
    from dispatch.uploads import send_file

    iid = call(seat, "incident.create", {"category": "floating_garbage", "priority": "P3", "lat": 24.33,
                                         "lon": 109.41}, actor="ignored")["id"]
    with tempfile.TemporaryDirectory() as tmp:
        f = Path(tmp) / "clip.mp4"
        f.write_bytes(secrets.token_bytes(size))
        t0 = time.perf_counter()
        uid = send_file(lambda n, a: call(seat, n, a, actor="ignored"), f)
        call(seat, "incident.attach", {"incident_id": iid, "upload_id": uid, "name": f.name}, actor="ignored")
        return size / 1024**2 / (time.perf_counter() - t0)


def pg_commit(url: str, samples: int) -> list[float]:
    """One row inserted and committed, ms (a table of its own, dropped after)."""
    from sqlalchemy import create_engine

    engine = create_engine(url)
    out = []
    with engine.connect() as c:
        c.exec_driver_sql("CREATE TABLE bench_commit (x integer)")
        c.commit()
        for i in range(samples):
            t0 = time.perf_counter()
            c.exec_driver_sql(f"INSERT INTO bench_commit VALUES ({i})")
            c.commit()
            out.append((time.perf_counter() - t0) * 1000)
        c.exec_driver_sql("DROP TABLE bench_commit")
        c.commit()
    engine.dispose()
    return out


def _free_port_pair() -> int:
    for _ in range(50):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        try:
            with socket.socket() as s2:
                s2.bind(("127.0.0.1", port + 1))
            return port
        except OSError:
            continue
    raise RuntimeError("no two free ports side by side")


def run(quick: bool) -> dict[str, float | int | str]:
    from sqlalchemy import create_engine

    from dispatch.core import Dispatch
    from dispatch.hub.attach import RemoteCore
    from dispatch.hub.seats import load_seat_file, new_seat_key
    from dispatch.ops import call
    from dispatch.store import EventStore

    samples = 40 if quick else 200
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    name = f"console_bench_{secrets.token_hex(4)}"
    with admin.connect() as c:
        c.exec_driver_sql(f"CREATE DATABASE {name}")
    url = PG_ADMIN.rsplit("/", 1)[0] + "/" + name
    hub: subprocess.Popen[bytes] | None = None
    seats: list[Any] = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            core = Dispatch(EventStore(url))
            keys = []
            for i in range(SEATS):
                call(core, "account.add", {"name": f"op{i}", "role": "dispatcher", "password": PASSWORD},
                     actor="bench")
                keys.append(load_seat_file(new_seat_key(core, "bench", f"seat-{i}", tmp)["file"]))
            core.close()
            port = _free_port_pair()
            endpoint = f"tcp://127.0.0.1:{port}"
            hub = subprocess.Popen([sys.executable, str(ROOT / "main.py"), "hub", "--db", url, "--field-bind",
                                    "tcp://127.0.0.1:0", "--control-bind", endpoint], cwd=ROOT,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                   # the uploaded file's blob kept in the run's folder, not the user's data folder
                                   env={**os.environ, "DISPATCH_ATTACHMENTS_DIR": str(Path(tmp) / "blobs")})
            for i, k in enumerate(keys):
                seat = RemoteCore(endpoint, k, timeout=30)
                seat.login(f"op{i}", PASSWORD)
                seats.append(seat.start())
            seen: dict[str, dict[int, float]] = {}
            cond = threading.Condition()

            def listener(idx: int) -> Any:
                def on_changes(ch: Any) -> None:
                    now = time.perf_counter()
                    for ev in ch.events:
                        if ev.kind == "shift.note":
                            with cond:
                                seen.setdefault(ev.payload["text"], {})[idx] = now
                                cond.notify_all()
                return on_changes

            for i, s in enumerate(seats):
                s.subscribe(listener(i))
            for s in seats:  # every stream connected and current before the clock starts
                deadline = time.monotonic() + 30
                while s.state.last_seq < max(x.state.last_seq for x in seats) and time.monotonic() < deadline:
                    time.sleep(0.05)
            prop, own = [], []
            for n in range(samples + 5):
                actor = seats[n % SEATS]
                others = [i for i in range(SEATS) if i != n % SEATS]
                token = f"bench {n} {secrets.token_hex(3)}"
                t0 = time.perf_counter()
                call(actor, "shift.note", {"text": token}, actor="ignored")
                t1 = time.perf_counter()
                with cond:
                    ok = cond.wait_for(lambda t=token: len(seen.get(t, ())) >= SEATS, 10)
                if not ok:
                    raise RuntimeError(f"a seat never saw note {n}")
                if n >= 5:  # the first few warm the connections
                    prop.append((max(seen[token][i] for i in others) - t0) * 1000)
                    own.append((t1 - t0) * 1000)
            raw = zmq_pubsub(samples)
            commits = pg_commit(url, samples)
            from dispatch.uploads import PIECE_BYTES

            upload_bytes = (8 if quick else 32) * 1024**2
            upload = seat_upload(seats[0], upload_bytes)
            bulk = zmq_bulk(upload_bytes, PIECE_BYTES)
            return {
                "multiseat_propagation_ms_p95": round(percentile(prop, 95), 2),
                "multiseat_propagation_ms_p50": round(percentile(prop, 50), 2),
                "multiseat_propagation_ms_max": round(max(prop), 2),
                "multiseat_op_ms_p50": round(percentile(own, 50), 2),
                "multiseat_seats": SEATS,
                "multiseat_samples": len(prop),
                "zmq_curve_pubsub_ms_p95": round(percentile(raw, 95), 3),
                "pg_commit_ms_p50": round(percentile(commits, 50), 2),
                "seat_upload_mib_s": round(upload, 1),
                "zmq_curve_bulk_mib_s": round(bulk, 1),
                "multiseat_store": "postgresql",
            }
    finally:
        for s in seats:
            s.close()
        if hub is not None:
            hub.send_signal(signal.SIGTERM)
            try:
                hub.wait(10)
            except subprocess.TimeoutExpired:
                hub.kill()
        with admin.connect() as c:
            c.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.dispose()
