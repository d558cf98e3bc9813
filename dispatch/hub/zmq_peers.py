"""The field link's peers: raw pyzmq DEALER-ROUTER figures the hub bench (dispatch/hub/bench.py) reports
beside its own, measured in the same run.

- `zmq_rtt`: round trips from a DEALER to a ROUTER echoing on a thread of the same process (one context,
  one ZeroMQ I/O thread for both ends; with `curve` both ends CURVE): the transport at its cheapest.
- `zmq_rtt_processes`: the same with the echoing ROUTER in a child process of its own (`echo_main`), as the
  field link is (the hub's process and the units'): each direction then crosses two processes' I/O threads,
  and the child's echo wakes in another process. For comparison; the issue's target is on `zmq_rtt`.
- `zmq_broadcast`, `zmq_curve_connect`: a broadcast's and 1,000 CURVE connections' raw cost.
- `zmq_bulk`: bytes in large messages over a CURVE pair, each answered before the next (the multiseat bench's
  peer of a seat's upload, dispatch/hub/bench_multiseat.py).
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import zmq

PING = b'{"type":"ack","seq":1}'  # a field acknowledgement's size
ECHO_KEYS_ENV = "DISPATCH_ECHO_PEER_KEYS"  # the echoing child's CURVE keys (`echo_main`)
WARM_UP = 10  # round trips not counted (the first connects, the handshakes)


def _round_trips(dealer: zmq.Socket, samples: int, paced: bool) -> list[float]:
    """`samples` round trips of `dealer` to its echoing peer, ms, the warm-up's left out (`paced`: a random
    0-4 ms pause before each, as the field round trips have)."""
    out = []
    rng = random.Random(5)
    for _ in range(samples + WARM_UP):
        if paced:
            time.sleep(rng.uniform(0, 0.004))
        t0 = time.perf_counter()
        dealer.send(PING)
        dealer.recv()
        out.append((time.perf_counter() - t0) * 1000)
    return out[WARM_UP:]


@contextmanager
def _pair(curve: bool) -> Iterator[tuple[zmq.Socket, zmq.Socket]]:
    """(ROUTER, DEALER) connected on loopback in one context (one ZeroMQ I/O thread); with `curve` both ends CURVE."""
    ctx = zmq.Context()
    router = ctx.socket(zmq.ROUTER)
    dealer = ctx.socket(zmq.DEALER)
    if curve:
        spub, ssec = zmq.curve_keypair()
        cpub, csec = zmq.curve_keypair()
        router.curve_server = True
        router.curve_secretkey, router.curve_publickey = ssec, spub
        dealer.curve_serverkey, dealer.curve_publickey, dealer.curve_secretkey = spub, cpub, csec
    port = router.bind_to_random_port("tcp://127.0.0.1")
    dealer.connect(f"tcp://127.0.0.1:{port}")
    try:
        yield router, dealer
    finally:
        dealer.close(0)
        router.close(0)
        ctx.term()


def zmq_rtt(samples: int, curve: bool = False, paced: bool = False) -> list[float]:
    """Raw DEALER -> ROUTER (echo thread) -> DEALER round trips, ms (with `curve`: both ends CURVE; `paced`:
    a random 0-4 ms pause before each, as the field round trips have)."""
    with _pair(curve) as (router, dealer):
        stop = threading.Event()

        def echo() -> None:
            while not stop.is_set():
                if router.poll(50):
                    router.send_multipart(router.recv_multipart())

        t = threading.Thread(target=echo, daemon=True)
        t.start()
        out = _round_trips(dealer, samples, paced)
        stop.set()
        t.join()
        return out


def zmq_bulk(total: int, piece: int) -> float:
    """Raw CURVE DEALER -> ROUTER on loopback: `total` bytes in `piece`-byte messages, each answered (a short reply)
    before the next, as a seat's upload is; MiB/s."""
    with _pair(True) as (router, dealer):

        def answer() -> None:  # blocking: the lockstep pays no poll a piece
            while True:
                ident, body = router.recv_multipart()
                router.send_multipart([ident, b"ok"])
                if body == b"end":
                    return

        t = threading.Thread(target=answer, daemon=True)
        t.start()
        data = os.urandom(piece)
        dealer.send(b"warm")  # the handshake, off the clock
        dealer.recv()
        t0 = time.perf_counter()
        sent = 0
        while sent < total:
            dealer.send(data)
            dealer.recv()
            sent += len(data)
        elapsed = time.perf_counter() - t0
        dealer.send(b"end")
        dealer.recv()
        t.join(5)
        return sent / 1024**2 / elapsed


def zmq_broadcast(n: int, rounds: int) -> float:
    """Raw ROUTER: one message to each of `n` DEALERs (echoing from one poller thread), all answers back; ms."""
    ctx = zmq.Context()
    ctx.max_sockets = n + 64
    router = ctx.socket(zmq.ROUTER)
    router.setsockopt(zmq.BACKLOG, 2048)
    router.sndhwm = router.rcvhwm = 100_000
    port = router.bind_to_random_port("tcp://127.0.0.1")
    dealers = []
    for i in range(n):
        d = ctx.socket(zmq.DEALER)
        d.linger = 0
        d.identity = b"d%d" % i
        d.connect(f"tcp://127.0.0.1:{port}")
        dealers.append(d)
    stop = threading.Event()

    def echo() -> None:
        poller = zmq.Poller()
        for d in dealers:
            poller.register(d, zmq.POLLIN)
        while not stop.is_set():
            for d, _ in poller.poll(50):
                while True:
                    try:
                        d.send(d.recv(zmq.NOBLOCK))
                    except zmq.Again:
                        break

    for d in dealers:
        d.send(b"hi")
    got = 0
    while got < n:  # every DEALER is connected and known to the ROUTER
        router.recv_multipart()
        got += 1
    t = threading.Thread(target=echo, daemon=True)
    t.start()
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        for i in range(n):
            router.send_multipart([b"d%d" % i, b'{"type":"broadcast","seq":1,"text":"x"}'])
        for _ in range(n):
            router.recv_multipart()
        times.append((time.perf_counter() - t0) * 1000)
    stop.set()
    t.join()
    for d in dealers:
        d.close(0)
    router.close(0)
    ctx.term()
    return min(times)


def zmq_curve_connect(n: int) -> float:
    """Raw CURVE: `n` DEALERs (one context) connecting at once to a CURVE ROUTER (another context, no ZAP
    handler: any key), each sending one message; seconds until the ROUTER has all `n`."""
    server_pub, server_sec = zmq.curve_keypair()
    sctx, cctx = zmq.Context(), zmq.Context()
    cctx.max_sockets = n + 64
    router = sctx.socket(zmq.ROUTER)
    router.curve_server = True
    router.curve_secretkey, router.curve_publickey = server_sec, server_pub
    router.setsockopt(zmq.BACKLOG, 2048)
    port = router.bind_to_random_port("tcp://127.0.0.1")
    pairs = [zmq.curve_keypair() for _ in range(n)]
    dealers = []
    for pub, sec in pairs:
        d = cctx.socket(zmq.DEALER)
        d.linger = 0
        d.curve_serverkey, d.curve_publickey, d.curve_secretkey = server_pub, pub, sec
        dealers.append(d)
    t0 = time.perf_counter()
    for d in dealers:
        d.connect(f"tcp://127.0.0.1:{port}")
        d.send(b'{"type":"login","last_seq":0}')
    got = 0
    while got < n and router.poll(30_000):
        router.recv_multipart()
        got += 1
    took = time.perf_counter() - t0
    for d in dealers:
        d.close(0)
    router.close(0)
    cctx.term()
    sctx.term()
    return took if got == n else float("nan")


def zmq_rtt_processes(samples: int, paced: bool = False) -> list[float]:
    """CURVE DEALER -> ROUTER echoing in a child process (`echo_main`) -> DEALER round trips, ms."""
    spub, ssec = zmq.curve_keypair()
    cpub, csec = zmq.curve_keypair()
    # the keys go in its environment, so nothing is written to a child that may already have exited (a broken
    # pipe); its stdin only holds it alive
    env = {**os.environ, ECHO_KEYS_ENV: json.dumps({"public": spub.decode(), "secret": ssec.decode()})}
    child = subprocess.Popen([sys.executable, "-c", "from dispatch.hub.zmq_peers import echo_main; echo_main()"],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env,
                             cwd=str(Path(__file__).parents[2]))
    assert child.stdin is not None and child.stdout is not None
    ctx = zmq.Context()
    dealer = ctx.socket(zmq.DEALER)
    dealer.linger = 0
    try:
        line = child.stdout.readline()  # the child's port, once bound (nothing: it failed)
        if not line:
            raise RuntimeError("the echoing peer process did not start")
        dealer.curve_serverkey, dealer.curve_publickey, dealer.curve_secretkey = spub, cpub, csec
        dealer.connect(f"tcp://127.0.0.1:{json.loads(line)['port']}")
        return _round_trips(dealer, samples, paced)
    finally:
        dealer.close(0)
        ctx.term()
        child.stdin.close()  # the child ends when its stdin does (nothing buffered: no broken pipe)
        try:
            child.wait(10)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def echo_main() -> None:
    """Child process: a CURVE ROUTER on a random loopback port (its keys a JSON object in ECHO_KEYS_ENV) echoing
    every message, one thread, as the raw in-process peer's echo does; says its port on stdout; ends when stdin
    closes."""
    keys = json.loads(os.environ[ECHO_KEYS_ENV])
    ctx = zmq.Context()
    router = ctx.socket(zmq.ROUTER)
    router.linger = 0
    router.curve_server = True
    router.curve_secretkey, router.curve_publickey = keys["secret"].encode(), keys["public"].encode()
    port = router.bind_to_random_port("tcp://127.0.0.1")
    sys.stdout.write(json.dumps({"port": port}) + "\n")
    sys.stdout.flush()
    poller = zmq.Poller()
    poller.register(router, zmq.POLLIN)
    poller.register(sys.stdin.fileno(), zmq.POLLIN)
    while True:
        ready = dict(poller.poll())
        if router in ready:
            router.send_multipart(router.recv_multipart())
        if sys.stdin.fileno() in ready:
            break  # the parent closed it (or wrote more than it should: either way, done)
    router.close(0)
    ctx.term()
